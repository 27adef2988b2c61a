"""The form's input rules for one import row, fast path.

`validate_household_input` builds a violation (and formats its message) for
every rule it checks, which is most of the per-row cost of an import. Almost
every row of a police extract passes every rule, so the importer first asks
`quick_member`: "does this row pass every input rule without a single error
or warning?" — the same conditions, with the same patterns and code tables
(imported from `pims.registry.checks.input_rules`, the one catalogue), but
without building messages. Only a row it cannot wave through goes to
`validate_household_input`, which then names the rules and says why.

`quick_member` may only say yes where the form says "no violation at all",
with the same cleaned values: `test_fastpath` checks that on generated and
mutated rows.
"""

import datetime as dt
import re

from pims.lib import citizen_id as cid
from pims.lib import clock
from pims.registry.checks.input_rules import (
    CONTROL_RE,
    HH_NUMBER_RE,
    HOUSEHOLD_TEXT_LIMITS,
    LANDLINE_RE,
    MEMBER_TEXT_LIMITS,
    MOBILE_RE,
    NAME_RE,
    OPTIONAL_CODES,
    REQUIRED_CODES,
    SEX_LABEL,
    CodeBook,
)

_SPACE_RE = re.compile(r"\s")
_RESIDENCE = frozenset({"1", "2", "3"})


def quick_member(data: dict, member: dict, codes: CodeBook, parse_id) -> dict | None:
    """The cleaned member (as `validate_household_input` returns it) when the
    household items `data` and the one `member` break no input rule; None
    when any rule might speak (then the caller asks the full rules).

    `parse_id(raw)` is `citizen_id.parse` (possibly memoised) and must raise
    `CitizenIdError` as it does."""
    number, hh_type, address = data["number"], data["hh_type"], data["address"]
    if data.get("collected_on"):
        return None
    text = {k: ("" if v is None else str(v).strip()) for k, v in member.items() if k != "row"}
    if CONTROL_RE.search("\n".join((number, hh_type, address, *text.values()))):
        return None
    address = address.strip()
    if not address or len(address) > HOUSEHOLD_TEXT_LIMITS["address"]:
        return None
    if not HH_NUMBER_RE.match(number.strip()) or hh_type.strip() not in ("1", "2"):
        return None
    for f, limit in MEMBER_TEXT_LIMITS.items():
        if len(text.get(f, "")) > limit:
            return None
    name, sex = text.get("name", ""), text.get("sex", "")
    if not NAME_RE.match(name) or sex not in SEX_LABEL:
        return None
    try:
        birth = dt.date.fromisoformat(text.get("birth_date", ""))
    except ValueError:
        return None
    if birth > clock.today():
        return None
    c = {"row": member["row"], "name": name, "sex": sex, "birth_date": birth}
    raw_id, reason = text.get("citizen_id", ""), text.get("no_id_reason", "")
    if raw_id:
        try:
            parsed = parse_id(raw_id)
        except cid.CitizenIdError:
            return None
        if parsed.sex != sex or parsed.birth_date != birth:
            return None
        c.update(citizen_id=parsed.number, no_id_reason="", id_sex=parsed.sex, id_birth_date=parsed.birth_date)
    else:
        if not reason or not codes.valid("no_id_reason", reason):
            return None
        c.update(citizen_id="", no_id_reason=reason)
    for f in REQUIRED_CODES:
        value = text.get(f, "")
        if not value or not codes.valid(f, value):
            return None
        c[f] = value
    for f in OPTIONAL_CODES:
        value = text.get(f, "")
        if value and not codes.valid(f, value):
            return None
        c[f] = value
    status = text.get("residence_status", "") or "1"
    if status not in _RESIDENCE:
        return None
    c["residence_status"] = status
    if text.get("registered_code") or text.get("residence_code"):
        return None  # the form looks these up in the database; the importer passes none
    c["registered_code"] = c["residence_code"] = ""
    for f in (
        "spouse_row",
        "mother_row",
        "father_row",
        "birth_order",
        "marriage_date",
        "contraception_start",
        "pregnant_since",
    ):
        if text.get(f):
            return None
    c.update(
        spouse_row=None,
        mother_row=None,
        father_row=None,
        birth_order=None,
        marriage_date=None,
        contraception_start=None,
        pregnant_since=None,
        birth_cert_no=text.get("birth_cert_no", ""),
    )
    phone = _SPACE_RE.sub("", text.get("phone", ""))
    if phone and not (MOBILE_RE.match(phone) or LANDLINE_RE.match(phone)):
        return None
    c["phone"] = phone
    return c
