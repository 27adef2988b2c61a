"""`manage.py run_job NAME`: what the systemd timers run (deploy/systemd/)."""

import io

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from pims.ops.schedule import JOB_BY_NAME, JOBS
from pims.ops.services import job_finish, job_start


class Command(BaseCommand):
    help = "Run a scheduled job and record the run (shown on the 定时任务 page): " + ", ".join(j.name for j in JOBS)

    def add_arguments(self, parser):
        parser.add_argument("job", choices=sorted(JOB_BY_NAME))

    def handle(self, *args, job, **options):
        spec = JOB_BY_NAME[job]
        run = job_start(job)
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command(*spec.command, stdout=out, stderr=err)
        except (CommandError, SystemExit, Exception) as exc:
            job_finish(run, ok=False, summary=f"{exc}\n{out.getvalue()}{err.getvalue()}")
            self.stdout.write(out.getvalue())
            self.stderr.write(err.getvalue())
            raise CommandError(f"job {job} failed: {exc}") from exc
        job_finish(run, ok=True, summary=out.getvalue() + err.getvalue())
        self.stdout.write(out.getvalue())
        if err.getvalue():
            self.stderr.write(err.getvalue())
