"""Township A's finished import job (with a rejected-rows file) for the outsider walk."""

import tempfile
from pathlib import Path

from pims.testing import scope_targets


def _job_a(ctx):
    def build():
        from pims.integration.models import ImportJob

        folder = Path(tempfile.mkdtemp(prefix="pims-walk-"))
        rejected = folder / "walk.rejected.csv"
        rejected.write_text("公民身份号码,姓名\n210124199001010011,走查退回人员\n", encoding="utf-8-sig")
        operator = ctx.personas["operator"]
        return ImportJob.objects.create(
            file_name="走查导入大孤家子.csv",
            file_path=str(folder / "走查导入大孤家子.csv"),
            file_sha256="a" * 64,
            region_code=operator.region.code,
            actor=operator,
            username=operator.username,
            state=ImportJob.State.DONE,
            rows_total=1,
            rows_rejected=1,
            rejected_file=str(rejected),
        )

    return ctx.once("integration_job_a", build)


@scope_targets.register("pk", routes=["integration:import_"])
def _jobs(ctx):
    job = _job_a(ctx)
    ctx.plant(job.file_name, "走查退回人员", "210124199001010011")
    return [job.pk]


def _review_item_a(ctx):
    def build():
        from pims.integration.models import ImportJob, IntakeRecord

        county = ctx.personas["county"]
        job = ImportJob.objects.create(
            kind="civil",
            file_name="走查民政婚姻登记.csv",
            file_path="/nonexistent/walk-civil.csv",
            file_sha256="b" * 64,
            region_code=county.region.code,
            actor=county,
            username=county.username,
            state=ImportJob.State.DONE,
        )
        return IntakeRecord.objects.create(
            job=job,
            source="civil",
            line=2,
            kind="marriage",
            doc_number="走查J2027-0001",
            state="review",
            region_code=ctx.regions["village_a1"].code,
            parties={"husband": {"name": "走查男方甲"}, "wife": {"name": "走查女方乙"}},
        )

    return ctx.once("integration_review_a", build)


@scope_targets.register("pk", routes=["integration:review_"])
def _review_items(ctx):
    record = _review_item_a(ctx)
    ctx.plant("走查J2027-0001", "走查男方甲", "走查女方乙")
    return [record.pk]


def _duplicate_a(ctx):
    def build():
        from pims.integration.models import DuplicatePair, MatchModel
        from pims.registry.tests.factories import make_household, make_person

        hh = make_household(ctx.regions["village_a1"], number="WALK9001")
        first, second = make_person(hh, name="走查重复甲").pk, make_person(hh, name="走查重复甲", row=2).pk
        model = MatchModel.objects.create(county_code="210124", version=0, seed=0, register_size=0, settings={})
        return DuplicatePair.objects.create(
            person_a_id=first,
            person_b_id=second,
            probability=0.5,
            model=model,
            region_code=ctx.regions["village_a1"].code,
            why=[{"item": "name", "label": "走查重复依据", "weight": 1}],
        )

    return ctx.once("integration_duplicate_a", build)


@scope_targets.register("pk", routes=["integration:duplicate_"])
def _duplicates(ctx):
    pair = _duplicate_a(ctx)
    ctx.plant("走查重复依据")
    return [pair.pk]
