"""The probabilistic matcher (Splink on DuckDB) for departmental persons the
citizen ID did not match: a person without an ID is found by name (as
characters and as pinyin), birth date, sex and the spouse's name; an ID
one slip away is a candidate, never an automatic match; two equally likely
persons are never chosen; candidates come from the importer's
jurisdiction only; the thresholds come from the dated parameter table; the
county's model is trained once and reproducibly."""

import pytest

from pims.events.models import EventType
from pims.events.tests.conftest import approved_household, members
from pims.integration.models import IntakeRecord, MatchModel
from pims.integration.pipeline import probable
from pims.integration.services import health_import
from pims.lib import clock

from .test_health import MOTHER_ID, cert, write

S = IntakeRecord.State


@pytest.fixture
def family(codes, personas, regions):
    return members(approved_household(personas, regions["village_a1"]))


def labels(match: dict) -> list[str]:
    return [w["label"] for w in match["scores"][0]["why"]]


def test_a_mother_without_an_id_is_found_by_her_name_and_her_husbands(family, personas, tmp_path):
    health_import(actor=personas["county"], path=write(tmp_path / "cs.csv", [cert(mother=("李四", ""))]))
    record = IntakeRecord.objects.get()
    mother = record.matches["mother"]
    assert (mother["kind"], mother["person"]) == ("probable", family["李四"].pk)
    assert mother["scores"][0]["p"] >= 0.99 and mother["model"] == MatchModel.objects.get().pk
    assert {"姓名相同", "性别相同", "配偶（父亲）姓名读音相同"} <= set(labels(mother))
    assert record.state == S.FILED and record.event.event_type == EventType.BIRTH


def test_a_homophone_of_the_name_is_a_candidate_explained_by_its_sound(family, personas, tmp_path):
    health_import(actor=personas["county"], path=write(tmp_path / "cs.csv", [cert(mother=("李丝", ""))]))
    mother = IntakeRecord.objects.get().matches["mother"]
    assert mother["candidates"][0] == family["李四"].pk
    assert labels(mother)[0] == "姓名读音相同（同音字）"


def test_an_id_with_two_digits_swapped_is_a_candidate_never_automatic(family, personas, tmp_path):
    swapped = MOTHER_ID[:10] + MOTHER_ID[11] + MOTHER_ID[10] + MOTHER_ID[12:]  # 1988-04-02 → 1988-40-02
    assert swapped != MOTHER_ID
    health_import(actor=personas["county"], path=write(tmp_path / "cs.csv", [cert(mother=("李四", swapped))]))
    record = IntakeRecord.objects.get()
    mother = record.matches["mother"]
    assert record.state == S.REVIEW and mother["kind"] == "invalid" and mother["person"] is None
    assert mother["candidates"] == [family["李四"].pk]
    assert "身份号码只差一位或两位颠倒" in labels(mother)


def test_two_equally_likely_persons_are_never_chosen(family, codes, personas, regions, tmp_path):
    # A second 张三 and 李四, born the same days, in another village.
    other = members(approved_household(personas, regions["village_a2"], number="0002", seq=1))
    health_import(actor=personas["county"], path=write(tmp_path / "cs.csv", [cert(mother=("李四", ""))]))
    record = IntakeRecord.objects.get()
    assert record.state == S.REVIEW and record.matches["mother"]["kind"] == "missing"
    assert set(record.matches["mother"]["candidates"]) == {family["李四"].pk, other["李四"].pk}


def test_candidates_come_only_from_the_importers_jurisdiction(codes, personas, regions, tmp_path):
    # The family lives in the outsider's township; the operator's township imports the certificate.
    members(approved_household(personas, regions["village_b1"]))
    health_import(
        actor=personas["operator"], path=write(tmp_path / "cs.csv", [cert(mother=("李四", ""), father=("张三", ""))])
    )
    record = IntakeRecord.objects.get()
    assert record.state == S.REJECTED and record.rule_ids == "N12"
    assert record.matches["mother"]["candidates"] == []


def test_the_automatic_threshold_is_read_from_the_parameter_table(family, personas, tmp_path):
    from pims.params.services import parameter_amend

    parameter_amend(
        actor=personas["sysadmin"],
        key="intake.match.auto_min",
        value="1",
        valid_from=clock.today(),
        source="测试：一律人工核对",
        status="unverified",
    )
    assert probable.thresholds()[0] == 1.0
    health_import(actor=personas["county"], path=write(tmp_path / "cs.csv", [cert(mother=("李四", ""))]))
    record = IntakeRecord.objects.get()
    assert record.state == S.REVIEW and record.matches["mother"]["candidates"] == [family["李四"].pk]


def test_the_countys_model_is_trained_once_and_again_gives_the_same_model(family, personas, tmp_path):
    health_import(actor=personas["county"], path=write(tmp_path / "a.csv", [cert(mother=("李四", ""))]))
    health_import(actor=personas["county"], path=write(tmp_path / "b.csv", [cert(doc="N2", mother=("李四", ""))]))
    first = MatchModel.objects.get()
    assert (first.county_code, first.register_size, first.seed) == ("210124", 4, probable.SEED)
    again = probable.match_model_train(county="210124")
    assert again.settings == first.settings


def test_a_mistyped_id_is_one_slip_from_the_registered_one():
    # The check digit catches every single-digit slip and every swap of two
    # neighbours: the variants of the mistyped number that pass it are the candidates.
    typo = MOTHER_ID[:5] + str((int(MOTHER_ID[5]) + 1) % 10) + MOTHER_ID[6:]
    swapped = MOTHER_ID[:14] + MOTHER_ID[15] + MOTHER_ID[14] + MOTHER_ID[16:]
    legacy = MOTHER_ID[:6] + MOTHER_ID[8:17]
    legacy_typo = legacy[:12] + str((int(legacy[12]) + 1) % 10) + legacy[13:]  # no check digit to catch it
    for wrong in (typo, swapped, legacy_typo):
        assert MOTHER_ID in probable.id_variants(wrong)
    assert MOTHER_ID not in probable.id_variants(MOTHER_ID)
    assert probable.id_variants("12345") == set()
