"""The review queue of departmental records: scoped to the reviewer's
region, side by side, accept among the candidates or dismiss, audited."""

import pytest
from django.http import Http404

from pims.accounts.roles import Role
from pims.audit.models import AuditEntry
from pims.events.models import EventType
from pims.integration import selectors
from pims.integration.models import IntakeRecord
from pims.integration.services import civil_import, intake_record_accept, intake_record_dismiss
from pims.lib.errors import Conflict, Invalid
from pims.testing.fixtures import make_user

from .civil import write
from .test_civil import couple, marriage_row  # noqa: F401  (the fixture)

S = IntakeRecord.State


@pytest.fixture
def waiting(couple, personas, tmp_path):  # noqa: F811
    """A marriage whose husband's name differs from the register: waiting in township A."""
    path = write(tmp_path / "hy.csv", [marriage_row(couple, husband=("王伍", couple["wang"][1], "男", "1990-03-04"))])
    civil_import(actor=personas["county"], path=path)
    return IntakeRecord.objects.get()


def test_the_queue_is_the_reviewers_region_only(waiting, personas, regions):
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    assert list(selectors.intake_review_list_visible_to(user=personas["reviewer"])) == [waiting]
    assert list(selectors.intake_review_list_visible_to(user=personas["county"])) == [waiting]
    for user in (reviewer_b, personas["outsider"], personas["clerk"]):
        assert not selectors.intake_review_list_visible_to(user=user).exists()
        with pytest.raises(Http404):
            selectors.access_intake_record(user, waiting.pk)


def test_side_by_side_marks_what_differs(waiting, personas, couple):  # noqa: F811
    sides = {s.role: s for s in selectors.intake_record_sides(user=personas["reviewer"], record=waiting)}
    husband, wife = sides["husband"], sides["wife"]
    assert [c.pk for c in husband.candidates] == [couple["wang"][0].pk]
    name = next(r for r in husband.rows if r.label == "姓名")
    assert (name.file, name.register) == ("王伍", [("王五", True)])
    assert "其他项目与登记不同" in husband.explanation
    assert all(not differs for r in wife.rows for _v, differs in r.register)
    # The probabilistic matcher's probability and the comparisons that drove it, in words.
    assert husband.scored and husband.candidates[0].probability.endswith("%")
    assert husband.candidates[0].why[0].startswith("姓名读音相同（同音字）（+")


def test_the_review_page_shows_the_probability_and_its_reasons(waiting, client_for):
    from django.urls import reverse

    page = client_for("reviewer").get(reverse("integration:review_detail", args=[waiting.pk])).content.decode()
    assert "匹配概率" in page and "姓名读音相同（同音字）" in page and 'data-testid="probability"' in page


def test_accepting_files_the_event_and_is_audited(waiting, personas, couple):  # noqa: F811
    wang, zhao = couple["wang"][0], couple["zhao"][0]
    with pytest.raises(Invalid):  # only a candidate may be chosen
        intake_record_accept(actor=personas["reviewer"], record=waiting, choices={"husband": zhao.pk, "wife": zhao.pk})
    record = intake_record_accept(
        actor=personas["reviewer"], record=waiting, choices={"husband": wang.pk, "wife": zhao.pk}
    )
    assert record.state == S.FILED and record.event.event_type == EventType.MARRIAGE
    assert record.decided_by == personas["reviewer"] and record.event.reporter == personas["county"]
    assert AuditEntry.objects.filter(detail__what="intake_review_accept").count() == 1
    with pytest.raises(Conflict):
        intake_record_dismiss(actor=personas["reviewer"], record=record, note="重复")


def test_dismissing_needs_a_reason(waiting, personas):
    with pytest.raises(Invalid):
        intake_record_dismiss(actor=personas["reviewer"], record=waiting, note=" ")
    record = intake_record_dismiss(actor=personas["reviewer"], record=waiting, note="不是本县人员")
    assert record.state == S.DISMISSED and record.decision_note == "不是本县人员"


def test_the_reviewer_compares_and_accepts_on_the_page(waiting, personas, regions, client_for, couple):  # noqa: F811
    from django.urls import reverse

    from pims.testing.fixtures import login

    client = client_for("reviewer")
    listing = client.get(reverse("integration:review_list")).content.decode()
    assert reverse("integration:review_detail", args=[waiting.pk]) in listing and "结婚" in listing
    page = client.get(reverse("integration:review_detail", args=[waiting.pk])).content.decode()
    assert "<mark>王五</mark>" in page and "王伍" in page and "身份号码已登记，但其他项目与登记不同" in page
    wang, zhao = couple["wang"][0], couple["zhao"][0]
    response = client.post(
        reverse("integration:review_detail", args=[waiting.pk]),
        {"action": "accept", "husband": wang.pk, "wife": zhao.pk, "note": "姓名为同音误写"},
    )
    assert response.status_code == 302
    waiting.refresh_from_db()
    assert waiting.state == S.FILED and waiting.decision_note == "姓名为同音误写"
    # Another township's reviewer and the outsider: 404, as if it did not exist.
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    from django.test import Client

    for c in (login(Client(), reviewer_b), client_for("outsider")):
        assert c.get(reverse("integration:review_detail", args=[waiting.pk])).status_code == 404
        assert c.post(reverse("integration:review_detail", args=[waiting.pk]), {"action": "dismiss"}).status_code == 404
    assert client_for("outsider").get(reverse("integration:review_list")).status_code == 404


def test_waiting_records_are_on_the_reviewers_work_queue(waiting, personas, regions):
    from pims.integration.queues import records_to_review

    items = records_to_review(personas["reviewer"])
    assert [(i.count, "hy.csv" in i.title) for i in items] == [(1, True)]
    assert records_to_review(make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])) == []
    assert records_to_review(personas["outsider"]) == []
