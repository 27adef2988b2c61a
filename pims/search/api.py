"""The person search as a JSON operation: the conditions go in a POST body
(so a citizen ID number never appears in a URL), are validated by the page's
own form and run through the same selector; numbers leave masked."""

from datetime import date
from typing import Annotated

from django.http import Http404
from ninja import Field, Router, Schema
from pydantic import ConfigDict, StringConstraints

from pims.accounts.roles import Cap, has_capability
from pims.api.errors import RefusedOut
from pims.lib.errors import Invalid, Problem

from .forms import SearchForm
from .selectors import COUNT_CAP, decorate, search_paginator

router = Router(tags=["search"])
CRITERIA_INVALID = "查询条件有误"

Text = Annotated[str, StringConstraints(max_length=60)]


class SearchIn(Schema):
    model_config = ConfigDict(extra="forbid")
    citizen_id: Text = Field("", description="公民身份号码（精确查找，按盲索引比对，不记录）")
    name: Text = Field("", description="汉字姓名（前缀）、全拼或拼音首字母，如 zs")
    name_mode: Text = Field("", description="auto | exact | prefix | pinyin | initials")
    sex: Text = ""
    birth_from: Text = Field("", description="YYYY-MM-DD")
    birth_to: Text = Field("", description="YYYY-MM-DD")
    age_min: int | None = Field(None, ge=0, le=150)
    age_max: int | None = Field(None, ge=0, le=150)
    region: Text = Field("", description="本辖区内的区划代码（子树）")
    region_basis: Text = Field("", description="any | registered | residence | responsible")
    status: Text = ""
    marital: Text = Field("", description="婚姻状况代码，或 married（已婚，含初婚、再婚、复婚）")
    residence_status: Text = ""
    flowing: bool = False
    childbearing: bool = Field(False, description="育龄妇女：年龄在政策参数 childbearing.age.min 至 max 之间的女性")
    contraception: Text = Field("", description="节育措施代码，或 none（无有效措施）")
    household_size_min: int | None = Field(None, ge=1, le=99)
    household_size_max: int | None = Field(None, ge=1, le=99)
    sort: Text = Field("", description="name | -name | birth_date | -birth_date | region | -region")
    page: int = Field(1, ge=1, le=100_000)
    page_size: int = Field(50, ge=1, le=200)


class PersonHitOut(Schema):
    id: int
    household_id: int
    name: str
    sex: str
    birth_date: date
    age: int
    citizen_id: str = Field(..., description="脱敏后的公民身份号码")
    phone: str = Field(..., description="脱敏后的联系电话")
    marital_status: str
    residence_status: str
    status: str
    registered_code: str
    registered_name: str


class SearchPageOut(Schema):
    count: int = Field(..., description="本辖区内符合条件的人数（超过上限时为上限，见 count_capped）")
    count_capped: bool = Field(False, description=f"符合条件的人数超过 {COUNT_CAP}，count 只计到上限")
    page: int
    pages: int
    items: list[PersonHitOut]


class SearchRefusedOut(RefusedOut):
    # Only a refusal of the criteria carries the old member; a request refused
    # at the boundary (control characters) or by the schema has problems only.
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="各字段的说明（旧名，同 problems；仅查询条件有误时）"
    )


@router.post(
    "/persons",
    response={200: SearchPageOut, 422: SearchRefusedOut},
    summary="人员组合查询（本辖区，脱敏）",
)
def person_search_api(request, payload: SearchIn):
    user = request.auth
    if not has_capability(user, Cap.VIEW_PERSONAL):
        raise Http404
    data = payload.model_dump(exclude={"page", "page_size"})
    form_data = {k: ("on" if v is True else v) for k, v in data.items() if v not in (None, "", False)}
    form = SearchForm(form_data, user=user, allow_citizen_id=True)
    if not form.is_valid():
        errors = {k: [str(m) for m in v] for k, v in form.errors.items()}
        problems = [Problem(m, field=k) for k, ms in errors.items() for m in ms]
        raise Invalid(CRITERIA_INVALID, problems=problems, extra={"errors": errors})
    paginator = search_paginator(user=user, criteria=form.criteria(), per_page=payload.page_size)
    page = paginator.get_page(payload.page)
    return {
        "count": paginator.count,
        "count_capped": paginator.capped,
        "page": page.number,
        "pages": paginator.num_pages,
        "items": [
            {
                "id": p.pk,
                "household_id": p.household_id,
                "name": p.name,
                "sex": p.sex,
                "birth_date": p.birth_date,
                "age": p.age,
                "citizen_id": p.id_masked,
                "phone": p.phone_masked,
                "marital_status": p.marital_status,
                "residence_status": p.residence_status,
                "status": p.status,
                "registered_code": p.registered_code,
                "registered_name": p.region_name,
            }
            for p in decorate(page.object_list)
        ],
    }
