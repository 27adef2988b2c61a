"""生育登记: application, same-day issue, numbers, cancellation, scope."""

import datetime as dt
import uuid

import pytest
from django.db import IntegrityError, transaction

from pims.audit.models import AuditEntry
from pims.documents import errors, selectors, services
from pims.documents.models import BirthRegistration, CancelReason, RegistrationState
from pims.documents.services import Application
from pims.lib.errors import Conflict, Invalid, NotPermitted
from pims.registry.models import Marriage
from pims.registry.tests.factories import make_child, make_couple, make_household, make_person

from .conftest import register

pytestmark = pytest.mark.django_db


def rules_of(exc):
    return [p.rule for p in exc.value.problems]


def test_township_registers_on_the_spot_with_a_number_and_an_audit_row(couple, personas):
    hh, husband, wife = couple
    make_child(hh, 3, mother=wife, father=husband)
    reg = register(personas["operator"], wife)
    assert reg.state == RegistrationState.ISSUED
    assert reg.birth_order == 2
    assert reg.number == "210124101202700001"
    assert reg.issued_by == personas["operator"] and reg.issuer_code == "210124101000"
    assert [line["reason"] for line in reg.derivation] == ["joint"]
    assert reg.particulars["husband"]["name"] == husband.name
    assert reg.husband_uuid == husband.uuid
    assert AuditEntry.objects.filter(object_type="documents.birthregistration", object_id=str(reg.pk)).exists()


def test_numbers_follow_each_other_and_a_cancelled_number_stays_used(couple, personas, regions):
    _, husband, _ = couple
    first = register(personas["operator"], husband)
    services.birth_registration_cancel(actor=personas["reviewer"], registration=first, reason=CancelReason.ERROR)
    _, h2, _ = make_couple(regions["village_a2"])
    second = register(personas["operator"], h2)
    assert second.number == "210124101202700002"
    first.refresh_from_db()
    assert first.number == "210124101202700001" and first.state == RegistrationState.CANCELLED


def test_the_same_child_cannot_be_registered_twice(couple, personas):
    _, husband, wife = couple
    register(personas["operator"], husband)
    with pytest.raises(Conflict) as exc:
        register(personas["reviewer"], wife)
    assert exc.value.template is errors.ALREADY_REGISTERED


def test_the_database_refuses_a_second_live_registration_of_one_child(couple, personas):
    reg = register(personas["operator"], couple[1])
    copy = BirthRegistration.objects.get(pk=reg.pk)
    copy.pk, copy.uuid, copy.token, copy.number = None, uuid.uuid4(), "other", ""
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_after_a_cancellation_the_child_can_be_registered_again(couple, personas):
    _, husband, _ = couple
    first = register(personas["operator"], husband)
    services.birth_registration_cancel(actor=personas["operator"], registration=first, reason=CancelReason.FRAUD)
    again = register(personas["operator"], husband)
    assert again.birth_order == 1 and again.state == RegistrationState.ISSUED


def test_unmarried_parents_are_refused_until_they_marry(regions, codes, personas):
    hh = make_household(regions["village_a1"])
    woman = make_person(hh, 1, "2", dt.date(1995, 1, 1), "02", "10")
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], woman)
    assert rules_of(exc) == ["married"]
    assert exc.value.problems[0].field == "person"


def test_a_spouse_not_recorded_as_married_is_refused_naming_the_field(couple, personas):
    _, husband, wife = couple
    wife.marital_status = "10"
    wife.save()
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], husband)
    assert "married" in rules_of(exc)
    assert "wife.marital_status" in [p.field for p in exc.value.problems]


def test_a_code_outside_the_code_manual_is_refused(couple, personas):
    _, husband, _ = couple
    husband.ethnicity = "99"
    husband.save()
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], husband)
    assert [(p.rule, p.field) for p in exc.value.problems] == [("code", "husband.ethnicity")]


def test_the_commitment_must_be_signed(couple, personas):
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], couple[1], commitment=False)
    assert rules_of(exc) == ["commitment"]


def test_a_past_due_date_asks_for_late_registration(couple, personas):
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], couple[1], due_date=dt.date(2027, 3, 2))
    assert exc.value.problems[0].message.startswith("预产期 2027-03-02 已过")


def test_a_due_date_too_far_ahead_is_refused(couple, personas):
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], couple[1], due_date=dt.date(2028, 3, 3))
    assert rules_of(exc) == ["due_date"]


def test_late_registration_of_a_born_joint_child(couple, personas):
    hh, husband, wife = couple
    first = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2008, 6, 1))
    make_child(hh, 4, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1))
    reg = register(personas["operator"], wife, child=first)
    assert reg.late and reg.child == first and reg.birth_order == 1
    assert selectors.registration_for_child(first) == reg


def test_late_registration_of_a_child_from_an_earlier_marriage_is_refused_with_the_reason(couple, personas, regions):
    hh, husband, wife = couple
    other = make_household(regions["village_a1"])
    ex = make_person(other, 1, "2", dt.date(1981, 1, 1), "02", "40")
    Marriage.objects.create(husband=husband, wife=ex, date=dt.date(2000, 1, 1), end_date=dt.date(2004, 1, 1))
    kid = make_child(other, 2, mother=ex, father=husband, birth_date=dt.date(2002, 3, 1))
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], husband, child=kid)
    assert rules_of(exc) == ["joint_child"]
    assert "前配偶" in exc.value.problems[0].message


def test_a_couple_with_neither_hukou_in_the_province_is_refused(couple, personas):
    _, husband, wife = couple
    for p in (husband, wife):
        p.registered_code = "110101001001"
        p.save()
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], husband)
    assert rules_of(exc) == ["province"]


def test_the_office_must_be_a_township_of_either_spouse(couple, personas):
    _, husband, _ = couple
    prefill = selectors.registration_prefill(person=husband)
    problems = services.registration_check(
        actor=personas["operator"], prefill=prefill, application=Application(commitment=True), office="210124102000"
    )
    assert [p.rule for p in problems] == ["office"]


def test_a_village_receives_and_the_township_registers(couple, personas):
    reg = register(personas["clerk"], couple[2])
    assert reg.state == RegistrationState.APPLIED and reg.number == ""
    assert list(selectors.registrations_due(user=personas["operator"], today=dt.date(2027, 3, 3))) == [reg]
    reg = services.birth_registration_issue(actor=personas["operator"], registration=reg)
    assert reg.state == RegistrationState.ISSUED and reg.number.endswith("00001")
    with pytest.raises(Conflict):
        services.birth_registration_issue(actor=personas["operator"], registration=reg)


def test_the_outsider_can_neither_apply_nor_cancel_nor_see(couple, personas):
    reg = register(personas["operator"], couple[1])
    with pytest.raises(NotPermitted):
        register(personas["outsider"], couple[1])
    with pytest.raises(NotPermitted):
        services.birth_registration_cancel(actor=personas["outsider"], registration=reg, reason=CancelReason.ERROR)
    assert not selectors.registration_list_visible_to(user=personas["outsider"]).exists()
    assert list(selectors.registration_list_visible_to(user=personas["clerk"])) == [reg]
    assert list(selectors.registration_list_visible_to(user=personas["county"])) == [reg]


def test_a_clerk_cannot_cancel(couple, personas):
    reg = register(personas["operator"], couple[1])
    with pytest.raises(NotPermitted):
        services.birth_registration_cancel(actor=personas["clerk"], registration=reg, reason=CancelReason.ERROR)


def test_cancellation_needs_a_reason_and_for_other_a_note(couple, personas):
    reg = register(personas["operator"], couple[1])
    with pytest.raises(Invalid) as exc:
        services.birth_registration_cancel(actor=personas["operator"], registration=reg, reason="")
    assert exc.value.template is errors.REASON_REQUIRED
    with pytest.raises(Invalid) as exc:
        services.birth_registration_cancel(actor=personas["operator"], registration=reg, reason=CancelReason.OTHER)
    assert exc.value.template is errors.NOTE_REQUIRED
    done = services.birth_registration_cancel(
        actor=personas["county"], registration=reg, reason=CancelReason.OTHER, note="重复申请"
    )
    assert done.state == RegistrationState.CANCELLED and done.cancel_note == "重复申请"
    with pytest.raises(Conflict):
        services.birth_registration_cancel(actor=personas["operator"], registration=reg, reason=CancelReason.ERROR)


def test_the_childs_birth_links_to_the_registration(couple, personas):
    hh, husband, wife = couple
    reg = register(personas["operator"], wife)
    child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2027, 5, 30))
    assert selectors.registration_for_child(child) == reg
    services.registration_link_birth(actor=personas["operator"], registration=reg, child=child)
    reg.refresh_from_db()
    assert reg.child == child and reg.child_uuid == child.uuid


def test_a_wife_too_old_at_the_due_date_is_refused_by_the_registers_rule(couple, personas):
    from pims.registry.checks import limits

    _, husband, wife = couple
    wife.birth_date = dt.date(1960, 1, 1)
    wife.save()
    with pytest.raises(Invalid) as exc:
        register(personas["operator"], husband)
    assert rules_of(exc) == [limits.MOTHER_AGE]
