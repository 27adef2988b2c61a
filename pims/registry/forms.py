"""Parsing the collection form's POST into the raw dicts the service takes.

No validation happens here beyond shape: every rule lives in the check
catalogue so that the form, the API and importers judge input alike.
"""

from pims.codes.selectors import code_for_text, code_lookup, current_codes

HOUSEHOLD_FIELDS = ("number", "hh_type", "address", "form_number", "volume_number", "collected_on")
MEMBER_FIELDS = (
    "name",
    "citizen_id",
    "no_id_reason",
    "sex",
    "birth_date",
    "ethnicity",
    "relationship",
    "marital_status",
    "education",
    "occupation",
    "hukou_type",
    "registered_code",
    "residence_code",
    "residence_status",
    "phone",
    "spouse_row",
    "marriage_date",
    "mother_row",
    "father_row",
    "birth_order",
    "birth_cert_no",
    "contraceptive_method",
    "contraception_start",
    "pregnant_since",
)
MAX_ROWS = 60

DATE_FIELDS = {"birth_date", "marriage_date", "contraception_start", "pregnant_since"}

# Member columns backed by a code table (field → table key).
CODE_FIELDS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "relationship": "family_relationship",
    "marital_status": "marital_status",
    "education": "education",
    "occupation": "occupation",
    "hukou_type": "household_registration_type",
    "no_id_reason": "no_id_reason",
    "contraceptive_method": "contraceptive_method",
}


def normalise_code(field: str, text: str) -> str:
    """Clerks may type a code, its name or alias, or its pinyin initials (01 /
    汉族 / 汉 / hz): an unambiguous match becomes the code; anything else is left as typed
    for the input rules to reject with a message."""
    text = (text or "").strip()
    if not text or field not in CODE_FIELDS:
        return text
    named = code_for_text(CODE_FIELDS[field], text)
    if named is not None:
        return named
    hits = code_lookup(CODE_FIELDS[field], text)
    exact = [c for c in hits if c.initials == text.lower()]
    return exact[0].code if len(exact) == 1 else text


def parse_household_post(post) -> tuple[dict, list[dict]]:
    data = {f: post.get(f, "") for f in HOUSEHOLD_FIELDS}
    members = []
    for i in range(1, MAX_ROWS + 1):
        prefix = f"m-{i}-"
        if not any(k.startswith(prefix) for k in post):
            continue
        row = {f: post.get(prefix + f, "") for f in MEMBER_FIELDS}
        if not any(str(v).strip() for v in row.values()):
            continue  # an empty row the clerk added but did not fill
        for f in CODE_FIELDS:
            row[f] = normalise_code(f, row[f])
        row["row"] = i
        members.append(row)
    return data, members


def code_options() -> dict[str, list[tuple[str, str, str]]]:
    """(code, name, initials) per code field, for the page's datalists."""
    return {f: list(current_codes(t).values_list("code", "name", "initials")) for f, t in CODE_FIELDS.items()}
