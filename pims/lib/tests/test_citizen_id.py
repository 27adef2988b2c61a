import contextlib
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pims.lib import citizen_id as cid

VALID = "11010119900307447X"  # replaced below by a computed valid number


def valid_number(region="210124", birth=dt.date(1985, 6, 15), seq=12, sex="1"):
    return cid.make_citizen_id(region, birth, seq, sex)


def test_parses_valid_number_and_reads_sex_and_birth():
    number = valid_number(sex="2")
    parsed = cid.parse(number)
    assert parsed.number == number
    assert parsed.birth_date == dt.date(1985, 6, 15)
    assert parsed.sex == "2"
    assert parsed.region_prefix == "210124"


def test_rejects_wrong_check_digit():
    number = valid_number()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    with pytest.raises(cid.CitizenIdError) as exc:
        cid.parse(wrong)
    assert exc.value.code == "checksum"
    assert "校验位" in str(exc.value)


def test_normalises_full_width_digits_spaces_and_lowercase_x():
    number = next(valid_number(seq=s) for s in range(1000) if valid_number(seq=s).endswith("X"))
    typed = " ".join(number[:-1].translate(str.maketrans("0123456789", "０１２３４５６７８９"))) + " x"
    assert cid.parse(typed).number == number


def test_upgrades_legacy_15_digit_number():
    eighteen = valid_number(birth=dt.date(1965, 3, 1))
    fifteen = eighteen[:6] + eighteen[8:17]
    assert cid.parse(fifteen).number == eighteen


def test_rejects_impossible_birth_date():
    first17 = "21012419850230001"
    with pytest.raises(cid.CitizenIdError) as exc:
        cid.parse(first17 + cid.check_char(first17))
    assert exc.value.code == "birth_date"


def test_rejects_unknown_region_code():
    first17 = "99999919850101001"
    with pytest.raises(cid.CitizenIdError) as exc:
        cid.parse(first17 + cid.check_char(first17))
    assert exc.value.code == "region"


def test_rejects_wrong_length():
    with pytest.raises(cid.CitizenIdError) as exc:
        cid.parse("2101241985")
    assert exc.value.code == "length"


def test_masks_first_six_and_last_four():
    assert cid.mask_citizen_id("210124198506150123") == "210124********0123"


@given(
    birth=st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2024, 12, 31)),
    seq=st.integers(min_value=0, max_value=999),
    sex=st.sampled_from(["1", "2"]),
)
def test_generated_numbers_round_trip(birth, seq, sex):
    parsed = cid.parse(cid.make_citizen_id("210124", birth, seq, sex))
    assert (parsed.birth_date, parsed.sex) == (birth, sex)


@given(st.text(max_size=25))
def test_parse_never_raises_anything_but_citizen_id_error(text):
    with contextlib.suppress(cid.CitizenIdError):
        cid.parse(text)


def test_accepts_county_code_created_after_birth():
    # 法库县 has had 210124 since 1992; people born earlier carry it when
    # their number was issued there later (python-stdnum alone refuses this).
    assert cid.parse(valid_number(birth=dt.date(1950, 1, 1))).region_prefix == "210124"
