"""The register's JSON API: the collection form's operations, calling the
same services and selectors as the pages.

- bodies carry raw strings exactly as the form takes them; every rule lives
  in the check catalogue, so a value is judged alike on every path;
- a form refused by the rules → 422 ``{"detail", "problems": [...]}``
  naming rule id, row (the record) and field; the same list also under its
  older name ``violations``; a malformed body → the same 422 body, one
  problem per parameter (pims.api.errors);
- a stale ``version`` (someone saved in between) → 409, nothing changed;
- missing, out of scope, or a role that may not do it → 404, so that a
  record's existence never leaks;
- the services raise, the API's one mapping answers (pims.api.errors);
- ID and phone numbers only ever leave masked (the full number is shown
  through the audited reveal page, not here).
"""

from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated
from uuid import UUID

from django.core.paginator import Paginator
from ninja import Field, Query, Router, Schema, Status
from pydantic import ConfigDict, StringConstraints, create_model, model_validator

from pims.api.errors import refusals
from pims.lib.identity import UUID_DESCRIPTION

from . import reproductive, selectors, services
from .errors import FormRefused
from .forms import MAX_ROWS, MEMBER_FIELDS
from .models import FormState, Household

router = Router(tags=["registry"])

# A guard on payload size only: the check catalogue judges each value.
MAX_TEXT = 500
Text = Annotated[str, StringConstraints(max_length=MAX_TEXT)]
PK_MAX = 2**63 - 1
Pk = Annotated[int, Field(ge=1, le=PK_MAX)]


# --- schemas -----------------------------------------------------------------


class _MemberBase(Schema):
    model_config = ConfigDict(extra="forbid")
    row: int = Field(..., ge=1, le=MAX_ROWS, description="表内行号（1–60），行号引用（配偶/父母行号）指向它")


class _MemberOutBase(Schema):
    row: int
    person_id: int


# One string per member column of the paper form, in the form's order. The
# type checker cannot see create_model's fields: to it a member is its base.
if TYPE_CHECKING:
    MemberIn = _MemberBase
    MemberOut = _MemberOutBase
else:
    MemberIn = create_model("MemberIn", __base__=_MemberBase, **dict.fromkeys(MEMBER_FIELDS, (Text, "")))
    MemberOut = create_model("MemberOut", __base__=_MemberOutBase, **dict.fromkeys(MEMBER_FIELDS, (str, "")))


class _HouseholdFields(Schema):
    model_config = ConfigDict(extra="forbid")
    number: Text
    hh_type: Text = "1"
    address: Text = ""
    form_number: Text = ""
    volume_number: Text = ""
    collected_on: Text = ""
    members: list[MemberIn] = Field(..., max_length=MAX_ROWS)
    confirm_warnings: bool = False

    @model_validator(mode="after")
    def _rows_unique(self):
        rows = [m.row for m in self.members]
        if len(rows) != len(set(rows)):
            raise ValueError("成员行号重复：每名成员的行号必须不同")
        return self

    def household_data(self) -> dict:
        return {
            f: getattr(self, f)
            for f in ("number", "hh_type", "address", "form_number", "volume_number", "collected_on")
        }

    def member_rows(self) -> list[dict]:
        return [m.model_dump() for m in self.members]


class HouseholdCreateIn(_HouseholdFields):
    village: Text = Field(..., description="户籍所在村的 12 位区划代码")


class HouseholdUpdateIn(_HouseholdFields):
    version: int = Field(..., ge=0, le=PK_MAX, description="读取时的版本号；他人已保存过则返回 409")


class SubmitIn(Schema):
    model_config = ConfigDict(extra="forbid")
    confirm_warnings: bool = False


class HouseholdCommentIn(Schema):
    model_config = ConfigDict(extra="forbid")
    row: int | None = Field(None, ge=1, le=MAX_ROWS)
    field: Text = ""
    message: Annotated[str, StringConstraints(max_length=2000)]


class HouseholdReturnIn(Schema):
    model_config = ConfigDict(extra="forbid")
    comments: list[HouseholdCommentIn] = Field(..., min_length=1, max_length=100)


class ViolationOut(Schema):
    rule: str
    severity: str
    field: str
    row: int | None
    message: str


class HouseholdSummaryOut(Schema):
    id: int
    uuid: UUID = Field(..., description=UUID_DESCRIPTION)
    village_code: str
    village_name: str
    number: str
    hh_type: str
    address: str
    head_name: str
    form_number: str
    volume_number: str
    form_state: str
    version: int


class HouseholdPageOut(Schema):
    count: int
    page: int
    pages: int
    items: list[HouseholdSummaryOut]


class HouseholdOut(HouseholdSummaryOut):
    collected_on: date | None
    approved_at: datetime | None
    members: list[MemberOut]
    violations: list[ViolationOut] = []


class PersonOut(Schema):
    id: int
    uuid: UUID = Field(..., description=UUID_DESCRIPTION)
    household_id: int
    row: int
    name: str
    citizen_id: str = Field(..., description="脱敏后的公民身份号码")
    no_id_reason: str
    sex: str
    birth_date: date
    ethnicity: str
    education: str
    occupation: str
    marital_status: str
    relationship: str
    hukou_type: str
    registered_code: str
    residence_code: str
    residence_status: str
    phone: str = Field(..., description="脱敏后的联系电话")
    status: str


class HouseholdFilter(Schema):
    village: Annotated[str, StringConstraints(max_length=12, pattern=r"^\d*$")] = ""
    state: FormState | None = None
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=200)


# --- helpers -----------------------------------------------------------------


def _summary(h: Household) -> dict:
    return {
        "id": h.pk,
        "uuid": h.uuid,
        "village_code": h.region_code,
        "village_name": h.village.name,
        "number": h.number,
        "hh_type": h.hh_type,
        "address": h.address,
        "head_name": h.head.name if h.head is not None else "",
        "form_number": h.form_number,
        "volume_number": h.volume_number,
        "form_state": h.form_state,
        "version": h.version,
    }


def _detail(user, h: Household, violations=()) -> dict:
    shown = reproductive.member_rows_for(user, h, selectors.household_form_rows(h), what="api_household")
    rows = [{k: ("" if v is None else str(v)) if k in MEMBER_FIELDS else v for k, v in r.items()} for r in shown]
    return {
        **_summary(h),
        "collected_on": h.collected_on,
        "approved_at": h.approved_at,
        "members": rows,
        "violations": [v.as_dict() for v in violations],
    }


def _saved(result):
    """The saved form's result; a refused one is raised (→ 422 naming each violation)."""
    if not result.saved:
        raise FormRefused(result.violations)
    return result


def _household(request, household_id: int, *, for_write=False) -> Household:
    household = selectors.access_household(request.auth, household_id, for_write=for_write)
    return Household.objects.select_related("village", "head").get(pk=household.pk)


# --- operations --------------------------------------------------------------


@router.get("/households", response=HouseholdPageOut, summary="本辖区的户（分页）")
def household_list(request, filters: Query[HouseholdFilter]):
    qs = selectors.household_list_visible_to(user=request.auth).select_related("village", "head")
    if filters.village:
        qs = qs.filter(region_code__startswith=filters.village)
    if filters.state:
        qs = qs.filter(form_state=filters.state)
    paginator = Paginator(qs.order_by("region_code", "number", "pk"), filters.page_size)
    page = paginator.get_page(filters.page)
    return {
        "count": paginator.count,
        "page": page.number,
        "pages": paginator.num_pages,
        "items": [_summary(h) for h in page],
    }


@router.get("/households/{household_id}", response=HouseholdOut, summary="一户及其成员（脱敏）")
def household_get(request, household_id: Pk):
    return _detail(request.auth, _household(request, household_id))


@router.post(
    "/households",
    response={201: HouseholdOut, **refusals(404, 409, 422)},
    summary="新建采集表（草稿）",
)
def household_create(request, payload: HouseholdCreateIn):
    result = _saved(
        services.household_save(
            actor=request.auth,
            data=payload.household_data(),
            members=payload.member_rows(),
            village_code=payload.village,
            confirm_warnings=payload.confirm_warnings,
        )
    )
    return Status(201, _detail(request.auth, _household(request, result.household.pk), result.violations))


@router.put(
    "/households/{household_id}",
    response={200: HouseholdOut, **refusals(404, 409, 422)},
    summary="修改采集表（带版本号，防止覆盖他人的修改）",
)
def household_update(request, household_id: Pk, payload: HouseholdUpdateIn):
    household = _household(request, household_id, for_write=True)
    result = _saved(
        services.household_save(
            actor=request.auth,
            data=payload.household_data(),
            members=payload.member_rows(),
            household=household,
            expected_version=payload.version,
            confirm_warnings=payload.confirm_warnings,
        )
    )
    return Status(200, _detail(request.auth, _household(request, household_id), result.violations))


@router.post(
    "/households/{household_id}/submit",
    response={200: HouseholdOut, **refusals(404, 409, 422)},
    summary="提交采集表待审核",
)
def household_submit(request, household_id: Pk, payload: SubmitIn | None = None):
    household = _household(request, household_id, for_write=True)
    confirm = bool(payload and payload.confirm_warnings)
    result = _saved(services.household_submit(actor=request.auth, household=household, confirm_warnings=confirm))
    return Status(200, _detail(request.auth, _household(request, household_id), result.violations))


@router.post(
    "/households/{household_id}/return",
    response={200: HouseholdOut, **refusals(404, 409)},
    summary="退回采集表（附审核意见）",
)
def household_return(request, household_id: Pk, payload: HouseholdReturnIn):
    household = _household(request, household_id)
    services.household_return(
        actor=request.auth, household=household, comments=[c.model_dump() for c in payload.comments]
    )
    return Status(200, _detail(request.auth, _household(request, household_id)))


@router.post(
    "/households/{household_id}/approve",
    response={200: HouseholdOut, **refusals(404, 409)},
    summary="审核通过采集表",
)
def household_approve(request, household_id: Pk):
    household = _household(request, household_id)
    services.household_approve(actor=request.auth, household=household)
    return Status(200, _detail(request.auth, _household(request, household_id)))


@router.get("/persons/{person_id}", response=PersonOut, summary="一名人员（脱敏）")
def person_get(request, person_id: Pk):
    p = selectors.access_person(request.auth, person_id)
    return {
        **{f: getattr(p, f) for f in PersonOut.model_fields if hasattr(p, f) and f not in ("citizen_id", "phone")},
        "id": p.pk,
        "household_id": p.household_id,
        "citizen_id": p.id_masked,
        "phone": p.phone_masked,
    }
