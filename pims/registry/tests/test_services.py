import datetime as dt

import pytest

from pims.audit.models import AuditEntry
from pims.events.models import Event, Spell
from pims.lib import crypto
from pims.lib.citizen_id import make_citizen_id
from pims.lib.errors import Conflict, NotPermitted
from pims.registry import errors, personal, services
from pims.registry.errors import HouseholdChanged
from pims.registry.models import Birth, FormState, Household, Marriage, Person
from pims.testing.errors import refused

from .conftest import family_form

pytestmark = pytest.mark.usefixtures("codes")


def save(user, village, **kw):
    data, members = family_form(village.code, **kw.pop("form", {}))
    return services.household_save(actor=user, data=data, members=members, village_code=village.code, **kw)


def test_clerk_saves_household_of_four(personas, regions):
    result = save(personas["clerk"], regions["village_a1"])
    assert result.saved, [v.message for v in result.violations]
    hh = result.household
    assert hh.form_state == FormState.DRAFT
    assert hh.members.count() == 4
    assert hh.head.name == "张三"
    assert Marriage.objects.filter(husband__name="张三", wife__name="李四").exists()
    births = Birth.objects.filter(mother__name="李四").order_by("birth_order")
    assert [b.birth_order for b in births] == [1, 2]
    assert AuditEntry.objects.filter(action="create", object_id=str(hh.pk)).exists()


def test_citizen_id_is_encrypted_indexed_and_masked(personas, regions):
    hh = save(personas["clerk"], regions["village_a1"]).household
    head = hh.members.get(row=1)
    number = make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")
    assert number not in head.id_cipher
    assert crypto.decrypt(head.id_cipher, aad=b"citizen_id") == number
    assert head.id_index == personal.citizen_id_index(number)
    assert head.id_masked == number[:6] + "********" + number[-4:]


def test_wrong_check_digit_and_mother_aged_11_are_refused_and_nothing_saved(personas, regions):
    data, members = family_form(regions["village_a1"].code, mother_birth="2001-01-01")
    members[1]["citizen_id"] = ""
    members[1]["no_id_reason"] = "1"
    head_id = members[0]["citizen_id"]
    members[0]["citizen_id"] = head_id[:-1] + ("0" if head_id[-1] != "0" else "1")
    result = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    )
    # Both mistakes are reported at once: the typed ID and the register rule
    # on the mother's age (checked on a rolled-back preview of the form).
    assert not result.saved
    assert {"I03", "R08"} <= {v.rule_id for v in result.errors}
    r08 = next(v for v in result.errors if v.rule_id == "R08")
    assert r08.row == 3 and "11 岁" in r08.message
    assert Household.objects.count() == 0 and Person.objects.count() == 0
    members[0]["citizen_id"] = head_id
    result = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    )
    assert "R08" in {v.rule_id for v in result.errors} and "I03" not in {v.rule_id for v in result.errors}
    assert Household.objects.count() == 0 and Person.objects.count() == 0


def test_same_id_in_another_household_is_refused(personas, regions):
    first = save(personas["clerk"], regions["village_a1"])
    assert first.saved
    again = save(personas["clerk"], regions["village_a1"], form={"number": "0002"})
    assert "I09" in {v.rule_id for v in again.errors}
    assert Household.objects.count() == 1


def test_household_number_unique_in_village(personas, regions):
    save(personas["clerk"], regions["village_a1"])
    data, members = family_form(
        regions["village_a1"].code,
        head_id=make_citizen_id("210124", dt.date(1985, 6, 15), 31, "1"),
        spouse_id=make_citizen_id("210124", dt.date(1988, 4, 2), 42, "2"),
    )
    result = services.household_save(
        actor=personas["clerk"], data=data, members=members, village_code=regions["village_a1"].code
    )
    assert "H04" in {v.rule_id for v in result.errors}


def test_second_concurrent_save_gets_conflict_and_first_is_kept(personas, regions):
    hh = save(personas["clerk"], regions["village_a1"]).household
    stale_version = hh.version
    data, members = family_form(regions["village_a1"].code)
    data["address"] = "first edit"
    assert services.household_save(
        actor=personas["clerk"], data=data, members=members, household=hh, expected_version=stale_version
    ).saved
    data2, members2 = family_form(regions["village_a1"].code)
    data2["address"] = "second edit"
    other = Household.objects.get(pk=hh.pk)
    with refused(HouseholdChanged, errors.HOUSEHOLD_CHANGED):
        services.household_save(
            actor=personas["operator"], data=data2, members=members2, household=other, expected_version=stale_version
        )
    assert Household.objects.get(pk=hh.pk).address == "first edit"


def test_edit_keeps_id_when_masked_value_is_sent_back(personas, regions):
    hh = save(personas["clerk"], regions["village_a1"]).household
    from pims.registry.selectors import household_form_rows

    rows = household_form_rows(hh)
    assert rows[0]["citizen_id"].count("*") == 8
    data, _ = family_form(regions["village_a1"].code)
    result = services.household_save(
        actor=personas["clerk"], data=data, members=rows, household=hh, expected_version=hh.version
    )
    assert result.saved, [v.message for v in result.violations]
    head = Person.objects.get(household=hh, row=1)
    assert crypto.decrypt(head.id_cipher, aad=b"citizen_id") == make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")


def test_clerk_cannot_create_in_another_village(personas, regions):
    with refused(NotPermitted, errors.VILLAGE_NOT_YOURS):
        save(personas["clerk"], regions["village_a2"])
    with refused(NotPermitted, errors.VILLAGE_NOT_YOURS):
        save(personas["outsider"], regions["village_a1"])


def test_workflow_submit_return_approve_opens_baseline_spells(personas, regions):
    hh = save(personas["clerk"], regions["village_a1"]).household
    assert services.household_submit(actor=personas["clerk"], household=hh).saved
    with refused(Conflict, errors.FORM_NOT_EDITABLE):
        services.household_save(actor=personas["clerk"], data={}, members=[], household=Household.objects.get(pk=hh.pk))
    services.household_return(
        actor=personas["reviewer"], household=hh, comments=[{"row": 2, "field": "phone", "message": "请补充联系电话"}]
    )
    hh.refresh_from_db()
    assert hh.form_state == FormState.RETURNED
    assert hh.review_comments.get().field == "phone"
    assert services.household_submit(actor=personas["clerk"], household=hh).saved
    with refused(NotPermitted, errors.FORM_NOT_YOURS_TO_REVIEW):
        services.household_approve(actor=personas["outsider"], household=hh)
    services.household_approve(actor=personas["reviewer"], household=hh)
    hh.refresh_from_db()
    assert hh.form_state == FormState.APPROVED
    assert Event.objects.filter(event_type="baseline", household=hh).count() == 4
    assert Spell.objects.filter(household=hh, kind="registered", end__isnull=True).count() == 4
    assert Spell.objects.filter(household=hh, kind="resident", region_code=regions["village_a1"].code).count() == 4


def test_return_requires_a_comment(personas, regions):
    hh = save(personas["clerk"], regions["village_a1"]).household
    services.household_submit(actor=personas["clerk"], household=hh)
    with refused(Conflict, errors.RETURN_NEEDS_COMMENT):
        services.household_return(actor=personas["reviewer"], household=hh, comments=[])


def test_couple_registered_apart_is_the_wifes_responsibility(personas, regions):
    data, members = family_form(regions["village_a1"].code)
    members[1]["registered_code"] = regions["village_b1"].code  # wife registered in township B
    members[1]["residence_status"] = "2"
    result = services.household_save(
        actor=personas["clerk"],
        data=data,
        members=members,
        village_code=regions["village_a1"].code,
        confirm_warnings=True,
    )
    assert result.saved, [v.message for v in result.violations]
    head = result.household.members.get(row=1)
    assert head.responsible_code == regions["village_b1"].code


def test_reveal_full_id_is_audited_and_role_limited(personas, regions):
    hh = save(personas["clerk"], regions["village_a1"]).household
    head = hh.members.get(row=1)
    with refused(NotPermitted, errors.ROLE_CANNOT_UNMASK):
        services.person_reveal_citizen_id(actor=personas["clerk"], person=head)
    number = services.person_reveal_citizen_id(actor=personas["operator"], person=head)
    assert number.startswith("210124")
    entry = AuditEntry.objects.filter(action="view_unmasked").get()
    assert number not in str(entry.detail)


def test_id_registered_outside_jurisdiction_says_only_it_cannot_be_registered_and_is_audited(personas, regions):
    """Issue 14.9: no existence oracle — the outsider learns neither whether nor where."""
    first = save(personas["clerk"], regions["village_a1"])
    assert first.saved
    probe = save(personas["outsider"], regions["village_b1"], form={"number": "0009"})
    ids = {v.rule_id for v in probe.errors}
    assert "I29" in ids and "I09" not in ids
    text = " ".join(v.message for v in probe.errors)
    assert "本辖区以外" not in text and "大孤家子" not in text and "请联系县级管理员" in text
    entry = AuditEntry.objects.get(action="access_denied", actor=personas["outsider"])
    assert entry.detail["rule"] == "I29" and entry.detail["rows"]
    head_id = make_citizen_id("210124", dt.date(1985, 6, 15), 11, "1")
    assert head_id not in str(entry.detail) and head_id[:6] + "********" + head_id[-4:] in entry.detail["ids"]
    # inside the jurisdiction the clerk is still told where
    again = save(personas["operator"], regions["village_a2"], form={"number": "0002"})
    assert "I09" in {v.rule_id for v in again.errors}
