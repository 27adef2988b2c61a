"""Reads of the register. Every list and page goes through these: the region
filter is `pims.regions.scope`, applied here and nowhere else in the app."""

from django.db.models import Q, QuerySet
from django.http import Http404

from pims.accounts.roles import Cap, has_capability
from pims.regions.models import Region
from pims.regions.scope import scope_q, user_prefix

from .models import Household, Person


def household_list_visible_to(*, user) -> QuerySet[Household]:
    if not has_capability(user, Cap.VIEW_PERSONAL):
        return Household.objects.none()
    return Household.objects.filter(scope_q(user, "region_code"))


# A person is visible through any of these codes: the region responsible
# for them, the one they are registered in and the one they live in (the
# residence region may read).
PERSON_SCOPE_FIELDS = ("responsible_code", "registered_code", "residence_code")


def person_scope_arms(user) -> list[Q]:
    """The jurisdiction rule for persons as its OR-ed arms, one per code
    column; a search may AND each arm with its own conditions (see
    pims.search.selectors) as long as it keeps all of them."""
    return [scope_q(user, field) for field in PERSON_SCOPE_FIELDS]


def person_list_visible_to(*, user) -> QuerySet[Person]:
    """Persons the user may read: those their region is responsible for, those
    registered there and those living there."""
    if not has_capability(user, Cap.VIEW_PERSONAL) or user_prefix(user) is None:
        return Person.objects.none()
    visible = Q()
    for arm in person_scope_arms(user):
        visible |= arm
    return Person.objects.filter(visible)


def access_household(user, pk, *, for_write: bool = False) -> Household:
    """The household if the user may see it (and, with for_write, enter it);
    404 for missing and out-of-scope alike."""
    try:
        household = household_list_visible_to(user=user).select_related("village").get(pk=pk)
    except (Household.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_write and not has_capability(user, Cap.ENTER_FORMS):
        raise Http404
    return household


def access_person(user, pk, *, for_write: bool = False) -> Person:
    qs = person_list_visible_to(user=user)
    if for_write:
        qs = qs.filter(scope_q(user, "responsible_code"))
    try:
        person = qs.select_related("household").get(pk=pk)
    except (Person.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_write and not has_capability(user, Cap.EDIT_REGISTER):
        raise Http404
    return person


def household_members(household: Household) -> QuerySet[Person]:
    return household.members.order_by("row")


def household_form_rows(household: Household) -> list[dict]:
    """The stored household as form rows (masked ID; the full value is not
    put back into the page — an unchanged masked value means "keep")."""
    members = list(household_members(household).prefetch_related("contraceptions", "pregnancies"))
    by_id = {p.pk: p for p in members}
    spouse = _spouse_rows(members)
    births = {b.child_id: b for b in _births(members)}
    rows = []
    for p in members:
        b = births.get(p.pk)
        contraception = next((c for c in p.contraceptions.all() if c.end_date is None), None)
        pregnancy = next((g for g in p.pregnancies.all() if not g.ended), None)
        rows.append(
            {
                "row": p.row,
                "person_id": p.pk,
                "name": p.name,
                "citizen_id": p.id_masked,
                "no_id_reason": p.no_id_reason,
                "sex": p.sex,
                "birth_date": p.birth_date.isoformat(),
                "ethnicity": p.ethnicity,
                "relationship": p.relationship,
                "marital_status": p.marital_status,
                "education": p.education,
                "occupation": p.occupation,
                "hukou_type": p.hukou_type,
                "registered_code": p.registered_code,
                "residence_code": p.residence_code,
                "residence_status": p.residence_status,
                "phone": p.phone_masked,
                "spouse_row": spouse.get(p.pk, {}).get("row", ""),
                "marriage_date": (spouse.get(p.pk, {}).get("date") or ""),
                "mother_row": by_id[b.mother_id].row if b and b.mother_id in by_id else "",
                "father_row": by_id[b.father_id].row if b and b.father_id in by_id else "",
                "birth_order": b.birth_order or "" if b else "",
                "birth_cert_no": b.certificate_no if b else "",
                "contraceptive_method": contraception.method if contraception else "",
                "contraception_start": contraception.start_date.isoformat() if contraception else "",
                "pregnant_since": pregnancy.start_date.isoformat() if pregnancy else "",
            }
        )
    return rows


# Member columns holding a row number of the same form, and region codes.
_ROW_FIELDS = {"spouse_row", "mother_row", "father_row"}
_REGION_FIELDS = {"registered_code", "residence_code"}


def household_review_rows(household: Household, *, rows: list[dict] | None = None) -> list[list[tuple[str, str, str]]]:
    """Every collected column of every member as a reviewer reads it:
    (field, Chinese label, value) with code manual names beside the codes,
    region names for region codes and "第 N 行 姓名" for row references."""
    from pims.codes.names import code_label

    from .checks.input_rules import MEMBER_LABELS
    from .forms import CODE_FIELDS, MEMBER_FIELDS

    rows = household_form_rows(household) if rows is None else rows
    names = {r["row"]: r["name"] for r in rows}
    regions = dict(
        Region.objects.filter(code__in={r[f] for r in rows for f in _REGION_FIELDS if r[f]}).values_list("code", "name")
    )
    out = []
    for r in rows:
        cells = []
        for f in MEMBER_FIELDS:
            value = r.get(f, "")
            if value in ("", None):
                shown = "—"
            elif f in CODE_FIELDS:
                shown = code_label(CODE_FIELDS[f], value)
            elif f in _REGION_FIELDS:
                shown = regions.get(value, value)
            elif f in _ROW_FIELDS:
                shown = f"第 {value} 行 {names.get(int(value), '')}".strip()
            else:
                shown = str(value)
            cells.append((f, MEMBER_LABELS[f], shown))
        out.append(cells)
    return out


def _spouse_rows(members) -> dict:
    from .models import Marriage

    ids = [p.pk for p in members]
    rows = {p.pk: p.row for p in members}
    out = {}
    current = Marriage.objects.filter(Q(husband_id__in=ids) | Q(wife_id__in=ids), end_date__isnull=True)
    for m in current:
        date = m.date.isoformat() if m.date else ""
        if m.wife_id in rows:
            out[m.husband_id] = {"row": rows[m.wife_id], "date": date}
        if m.husband_id in rows:
            out[m.wife_id] = {"row": rows[m.husband_id], "date": date}
    return out


def _births(members):
    from .models import Birth

    return Birth.objects.filter(child_id__in=[p.pk for p in members])


def dashboard_counts(user) -> list[tuple[str, int]]:
    """Households and active persons in the user's jurisdiction, for the dashboard."""
    from django.utils.translation import gettext as _

    if not has_capability(user, Cap.VIEW_PERSONAL):
        return []
    households = household_list_visible_to(user=user).count()
    persons = Person.objects.filter(scope_q(user, "responsible_code"), status="1").count()
    return [(_("登记户数"), households), (_("登记人数"), persons)]
