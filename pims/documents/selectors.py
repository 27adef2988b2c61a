"""Reads of the documents. The scope rule: a user sees a document whose
receiving office or either spouse's responsible region lies in their
subtree, and nothing else; a missing and an out-of-scope document are the
same 404."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.lib.errors import Problem
from pims.regions.scope import scope_q, user_prefix
from pims.registry.models import Birth, Marriage, Person

from . import counting
from .models import BirthRegistration, HistoricDocument, HonourCertificate, HonourState, RegistrationState


def registration_list_visible_to(*, user) -> QuerySet[BirthRegistration]:
    if not has_capability(user, Cap.VIEW_DOCUMENTS) or user_prefix(user) is None:
        return BirthRegistration.objects.none()
    return BirthRegistration.objects.filter(
        scope_q(user, "issuer_code") | scope_q(user, "husband_code") | scope_q(user, "wife_code")
    )


def access_registration(user, pk) -> BirthRegistration:
    """The registration if the user may see it; 404 for missing and out-of-scope alike."""
    try:
        return (
            registration_list_visible_to(user=user)
            .select_related("husband", "wife", "child", "mismatch_child", "issued_by", "applied_by", "cancelled_by")
            .get(pk=pk)
        )
    except (BirthRegistration.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def current_marriage(person: Person) -> Marriage | None:
    """The person's marriage that has not ended (the latest, if the register holds several)."""
    field_name = "husband" if person.sex == "1" else "wife"
    return (
        Marriage.objects.filter(**{field_name: person}, end_date__isnull=True)
        .select_related("husband__household", "wife__household")
        .order_by("-date", "-pk")
        .first()
    )


@dataclass
class Prefill:
    """What the application page shows before anything is written: the
    couple from the register, their children and the derived 孩次."""

    person: Person
    husband: Person | None = None
    wife: Person | None = None
    marriage: Marriage | None = None
    derivation: counting.Derivation | None = None
    child: Person | None = None
    problems: list[Problem] = field(default_factory=list)

    @property
    def birth_order(self) -> int | None:
        return self.derivation.birth_order if self.derivation is not None else None


def registration_prefill(*, person: Person, child: Person | None = None) -> Prefill:
    """The couple of `person` (found through the current marriage), the
    derivation of their 登记孩次 and, for 补登, the child's own."""
    from . import errors

    out = Prefill(person=person, child=child)
    marriage = current_marriage(person)
    if marriage is None:
        message = errors.NO_CURRENT_MARRIAGE % {"name": person.name}
        out.problems.append(Problem(message, rule="married", field="person", record="birth_registration"))
        return out
    out.marriage, out.husband, out.wife = marriage, marriage.husband, marriage.wife
    out.derivation = counting.derive(marriage.husband, marriage.wife, marriage=marriage, child=child)
    return out


def joint_children(husband: Person, wife: Person) -> QuerySet[Person]:
    """Children whose birth record names both spouses (the 补登 choices)."""
    return Person.objects.filter(birth__father=husband, birth__mother=wife).order_by("birth_date", "pk")


def registration_for_child(child: Person) -> BirthRegistration | None:
    """The live registration a born child belongs to: linked already, or the
    couple's registration whose 孩次 is the child's place among their
    counted children."""
    linked = BirthRegistration.objects.filter(child=child).exclude(state=RegistrationState.CANCELLED).first()
    if linked is not None:
        return linked
    birth = getattr(child, "birth", None)
    if birth is None or birth.father_id is None or birth.mother_id is None:
        return None
    order = counting.derive(birth.father, birth.mother, child=child).birth_order
    if not order:
        return None
    return (
        BirthRegistration.objects.filter(husband_id=birth.father_id, wife_id=birth.mother_id, birth_order=order)
        .filter(Q(child__isnull=True) | Q(child=child))
        .exclude(state=RegistrationState.CANCELLED)
        .first()
    )


def registrations_due(*, user, today: dt.date) -> QuerySet[BirthRegistration]:
    """Applications received (by a village, online) and not yet registered."""
    return registration_list_visible_to(user=user).filter(state=RegistrationState.APPLIED)


# --- 光荣证 ----------------------------------------------------------------------------------


def honour_list_visible_to(*, user) -> QuerySet[HonourCertificate]:
    if not has_capability(user, Cap.VIEW_DOCUMENTS) or user_prefix(user) is None:
        return HonourCertificate.objects.none()
    return HonourCertificate.objects.filter(scope_q(user, "region_code"))


def access_honour(user, pk) -> HonourCertificate:
    """The certificate if the user may see it; 404 for missing and out-of-scope alike."""
    try:
        return (
            honour_list_visible_to(user=user)
            .select_related("husband", "wife", "child", "township_by", "county_by", "applied_by", "revoked_by")
            .get(pk=pk)
        )
    except (HonourCertificate.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def honour_needing_review(*, user) -> QuerySet[HonourCertificate]:
    """Issued certificates whose couple the register now shows with another
    child of either spouse born or adopted since the marriage (a later birth,
    a concealed one): the county reviews them — never a silent revocation."""
    other_child = Birth.objects.filter(
        Q(father_id=OuterRef("husband_id")) | Q(mother_id=OuterRef("wife_id")),
        child__birth_date__gte=OuterRef("marriage__date"),
    ).exclude(child_id=OuterRef("child_id"))
    return honour_list_visible_to(user=user).filter(state=HonourState.ISSUED).filter(Exists(other_child))


def honour_held_q(at: dt.datetime, prefix: str = "") -> Q:
    """A certificate held at the moment `at`: issued (numbered) by then and
    not revoked by then — the one definition of 领取独生子女证 for reports."""
    issued = Q(**{f"{prefix}county_at__lt": at}) & ~Q(**{f"{prefix}number": ""})
    not_revoked = Q(**{f"{prefix}revoked_at__isnull": True}) | Q(**{f"{prefix}revoked_at__gte": at})
    return issued & not_revoked & Q(**{f"{prefix}state__in": [HonourState.ISSUED, HonourState.REVOKED]})


def historic_list_visible_to(*, user) -> QuerySet[HistoricDocument]:
    if not has_capability(user, Cap.VIEW_DOCUMENTS) or user_prefix(user) is None:
        return HistoricDocument.objects.none()
    return HistoricDocument.objects.filter(scope_q(user, "region_code"))


def documents_of(person: Person) -> dict:
    """The numbers of a parent's documents in force, as a handover list
    records them (DOMAIN.md §8): 光荣证 issued and 生育登记 registered."""
    as_parent = Q(husband=person) | Q(wife=person)
    return {
        "honour_numbers": list(
            HonourCertificate.objects.filter(as_parent, state=HonourState.ISSUED)
            .exclude(number="")
            .order_by("number")
            .values_list("number", flat=True)
        ),
        "registration_numbers": list(
            BirthRegistration.objects.filter(as_parent, state=RegistrationState.ISSUED)
            .exclude(number="")
            .order_by("number")
            .values_list("number", flat=True)
        ),
    }
