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
