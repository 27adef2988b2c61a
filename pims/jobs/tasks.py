"""The one task the queue runs: an attempt of a `Job` (pims.jobs.services).

Kinds of work are not separate tasks: they are rows of pims.jobs.kinds, so
that every job has the same record, retries and progress whatever it does.
(On Django 6 the import becomes `django.tasks`; django_tasks_db stays.)
"""

from django_tasks import task

from . import services


@task(takes_context=True)
def run_job(context, job_id: int) -> None:
    result = context.task_result
    services.job_execute(job_id, task_id=result.id, worker_id=result.worker_ids[-1])
