"""独生子女父母光荣证: each condition (pass, fail, missing), the 3-step path,
a later birth on the county's queue, revocation on the public page."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from pims.documents import errors, honour, queues, selectors
from pims.documents.honour_services import honour_apply, honour_county_approve, honour_revoke, honour_township_review
from pims.documents.models import HonourState, RevokeReason
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.registry.models import Marriage, PersonStatus
from pims.registry.tests.factories import make_child, make_household, make_person

pytestmark = pytest.mark.django_db


@pytest.fixture
def family(couple):
    hh, husband, wife = couple  # married 2006-10-01
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1), name="独生甲")
    return hh, husband, wife, child


def judge(husband, wife, child, commitment=True):
    marriage = Marriage.objects.get(husband=husband, wife=wife)
    checks = honour.eligibility(
        husband=husband, wife=wife, marriage=marriage, child=child, commitment=commitment, today=dt.date(2027, 3, 3)
    )
    return {c.id: c for c in checks}


def test_an_only_child_of_the_era_passes_every_condition(family):
    _, husband, wife, child = family
    checks = judge(husband, wife, child)
    assert {k: c.result for k, c in checks.items()} == dict.fromkeys(honour.TITLES, honour.PASS)
    assert "独生甲" in checks[honour.ONE_CHILD].reason


def test_a_second_joint_child_fails_one_child(family):
    hh, husband, wife, child = family
    make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2014, 1, 1), name="老二")
    c = judge(husband, wife, child)[honour.ONE_CHILD]
    assert c.result == honour.FAIL and "2 个" in c.reason


def test_a_child_born_after_2015_fails_the_era(couple):
    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2016, 1, 1))
    c = judge(husband, wife, child)[honour.ERA]
    assert c.result == honour.FAIL and "2015-12-31" in c.reason


def test_a_child_of_the_husband_with_a_third_party_during_the_marriage_fails(family, regions):
    _, husband, wife, child = family
    other = make_household(regions["village_a1"])
    third = make_person(other, 1, "2", dt.date(1985, 1, 1), "02", "10")
    make_child(other, 2, mother=third, father=husband, birth_date=dt.date(2010, 1, 1), name="婚外子")
    c = judge(husband, wife, child)[honour.NO_OTHER_CHILD]
    assert c.result == honour.FAIL and "婚外子" in c.reason


def test_a_child_of_an_earlier_marriage_does_not_fail(family, regions):
    _, husband, wife, child = family
    other = make_household(regions["village_a1"])
    ex = make_person(other, 1, "2", dt.date(1981, 1, 1), "02", "40")
    Marriage.objects.create(husband=husband, wife=ex, date=dt.date(2000, 1, 1), end_date=dt.date(2004, 1, 1))
    make_child(other, 2, mother=ex, father=husband, birth_date=dt.date(2002, 1, 1))
    assert judge(husband, wife, child)[honour.NO_OTHER_CHILD].result == honour.PASS


def test_without_a_marriage_date_another_child_is_missing_data(family, regions):
    _, husband, wife, child = family
    Marriage.objects.filter(husband=husband).update(date=None)
    other = make_household(regions["village_a1"])
    third = make_person(other, 1, "1", dt.date(1975, 1, 1), "02", "20")
    make_child(other, 2, mother=wife, father=third, birth_date=dt.date(2003, 1, 1))
    c = judge(husband, wife, child)[honour.NO_OTHER_CHILD]
    assert c.result == honour.MISSING and "结婚日期未登记" in c.reason


def test_a_child_over_the_age_limit_fails_and_the_limit_says_unverified(couple):
    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2007, 1, 1))
    c = judge(husband, wife, child)[honour.CHILD_AGE]
    assert c.result == honour.FAIL and "20 周岁" in c.reason and "待核实" in c.reason


def test_a_dead_only_child_fails_one_child(couple):
    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 1, 1), status=PersonStatus.DEAD)
    c = judge(husband, wife, child)[honour.ONE_CHILD]
    assert c.result == honour.FAIL and "已死亡" in c.reason


def test_a_missing_commitment_is_missing_data(family):
    _, husband, wife, child = family
    assert judge(husband, wife, child, commitment=False)[honour.COMMITMENT].result == honour.MISSING


def test_the_three_step_path_with_approvers_dates_comments_number_and_reward_period(family, personas):
    _, _, _, child = family
    cert = honour_apply(actor=personas["clerk"], child=child, commitment=True, comment="村里核实无误")
    assert cert.state == HonourState.APPLIED and cert.region_code == "210124101200"
    assert queues.honour_to_review(personas["operator"])[0].url.endswith(f"/{cert.pk}/")
    assert queues.honour_to_review(personas["county"]) == []
    cert = honour_township_review(actor=personas["reviewer"], cert=cert, approve=True, comment="同意")
    assert cert.state == HonourState.TOWNSHIP_REVIEWED and cert.township_by == personas["reviewer"]
    assert len(queues.honour_to_review(personas["county"])) == 1
    cert = honour_county_approve(actor=personas["county"], cert=cert, approve=True, comment="批准")
    assert cert.state == HonourState.ISSUED and cert.county_comment == "批准"
    assert cert.number == "210124000202700001"
    assert cert.reward_from == dt.date(2027, 3, 1) and cert.reward_to == dt.date(2030, 5, 31)
    assert [c["result"] for c in cert.eligibility] == ["pass"] * 5


def test_an_ineligible_application_is_refused_naming_each_failed_condition(couple, personas):
    hh, husband, wife = couple
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2016, 3, 1))
    with pytest.raises(Invalid) as exc:
        honour_apply(actor=personas["clerk"], child=child, commitment=False)
    assert [p.rule for p in exc.value.problems] == [honour.ERA, honour.COMMITMENT]


def test_one_certificate_per_couple_and_child(family, personas):
    child = family[3]
    honour_apply(actor=personas["clerk"], child=child, commitment=True)
    with pytest.raises(Conflict) as exc:
        honour_apply(actor=personas["operator"], child=child, commitment=True)
    assert exc.value.template is errors.HONOUR_EXISTS


def test_a_step_out_of_order_or_twice_is_a_conflict(family, personas):
    cert = honour_apply(actor=personas["clerk"], child=family[3], commitment=True)
    with pytest.raises(Conflict):
        honour_county_approve(actor=personas["county"], cert=cert, approve=True)
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=True)
    with pytest.raises(Conflict):
        honour_township_review(actor=personas["operator"], cert=cert, approve=True)


def test_a_rejection_needs_a_comment_and_frees_the_child(family, personas):
    cert = honour_apply(actor=personas["clerk"], child=family[3], commitment=True)
    with pytest.raises(Invalid):
        honour_township_review(actor=personas["reviewer"], cert=cert, approve=False)
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=False, comment="材料不全")
    again = honour_apply(actor=personas["clerk"], child=family[3], commitment=True)
    assert again.state == HonourState.APPLIED


def test_the_outsider_can_do_nothing(family, personas):
    with pytest.raises(NotPermitted):
        honour_apply(actor=personas["outsider"], child=family[3], commitment=True)
    cert = honour_apply(actor=personas["clerk"], child=family[3], commitment=True)
    with pytest.raises(NotPermitted):
        honour_township_review(actor=personas["outsider"], cert=cert, approve=True)
    assert not selectors.honour_list_visible_to(user=personas["outsider"]).exists()
    assert queues.honour_to_review(personas["outsider"]) == []


def issued(child, personas):
    cert = honour_apply(actor=personas["clerk"], child=child, commitment=True)
    honour_township_review(actor=personas["reviewer"], cert=cert, approve=True)
    return honour_county_approve(actor=personas["county"], cert=cert, approve=True)


def test_a_later_birth_puts_a_review_item_on_the_countys_queue_not_a_revocation(family, personas):
    hh, husband, wife, child = family
    cert = issued(child, personas)
    assert queues.honour_reviews(personas["county"]) == []
    make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2027, 2, 1))
    items = queues.honour_reviews(personas["county"])
    assert [i.key for i in items] == [f"documents.honour_review:{cert.pk}:{cert.version}"] and items[0].urgent
    cert.refresh_from_db()
    assert cert.state == HonourState.ISSUED
    assert queues.honour_reviews(personas["operator"]) == [] and queues.honour_reviews(personas["outsider"]) == []


def test_revocation_changes_the_public_page(family, personas):
    cert = issued(family[3], personas)
    url = reverse("documents:verify", args=[cert.token])
    assert 'data-status="valid"' in Client().get(url).content.decode()
    with pytest.raises(NotPermitted):
        honour_revoke(actor=personas["operator"], cert=cert, reason=RevokeReason.LATER_CHILD)
    honour_revoke(actor=personas["county"], cert=cert, reason=RevokeReason.LATER_CHILD, note="2027 年再生育")
    body = Client().get(url).content.decode()
    assert 'data-status="revoked"' in body and "已撤销" in body and "独*甲" in body
    assert selectors.honour_needing_review(user=personas["county"]).count() == 0
