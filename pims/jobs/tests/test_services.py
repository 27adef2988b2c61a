"""The queue in the test's own process: a job runs once, is retried after an
error, fails for good when refused or out of attempts, goes back to the
queue when its worker stops or dies, and reports progress; a stray attempt
never runs a job twice."""

import datetime as dt
import os
import socket

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from pims.jobs import kinds, services
from pims.jobs.errors import JobRefused
from pims.jobs.models import Job, WorkerBeat
from pims.jobs.procs import start_ticks
from pims.jobs.selectors import job_latest_for, job_status, worker_health
from pims.jobs.testing import run_ready_jobs

pytestmark = pytest.mark.django_db

CALLS: list[dict] = []


def echo(ctx, **args):
    CALLS.append(args)
    ctx.progress(1, 2, "half")
    return {"echo": args}


def flaky(ctx, *, fail_times: int):
    CALLS.append({"attempt": ctx.attempt})
    if ctx.attempt <= fail_times:
        raise RuntimeError(f"attempt {ctx.attempt} broke")
    return "ok"


def refused(ctx):
    raise JobRefused("文件已不存在")


def stops(ctx):
    CALLS.append({"attempt": ctx.attempt})
    if ctx.attempt == 1:
        services.interrupt.request("SIGTERM")  # what the worker's signal handler does
    return "finished"


@pytest.fixture(autouse=True)
def test_kinds(monkeypatch, settings):
    settings.PIMS_JOB_RUNNER = "queue"
    CALLS.clear()
    monkeypatch.setattr(services.interrupt, "requested", False)
    here = __name__
    for kind in (
        kinds.Kind("t_echo", "echo", f"{here}.echo"),
        kinds.Kind("t_flaky", "flaky", f"{here}.flaky", max_failures=3, retry_delays=(30, 120)),
        kinds.Kind("t_refused", "refused", f"{here}.refused"),
        kinds.Kind("t_stops", "stops", f"{here}.stops"),
    ):
        monkeypatch.setitem(kinds.KINDS, kind.name, kind)


def attempts_of(job) -> list[str]:
    return list(
        DBTaskResult.objects.filter(args_kwargs__args=[job.pk]).order_by("enqueued_at").values_list("status", flat=True)
    )


def make_ready(job) -> None:
    """Let a retry that waits for its time run now."""
    task_id = Job.objects.get(pk=job.pk).task_id
    assert task_id is not None
    DBTaskResult.objects.filter(id=task_id).update(run_after=timezone.now())


def test_every_registered_kind_names_a_function():
    for kind in kinds.KINDS.values():
        assert callable(kind.function), kind.name


def test_unknown_kind_is_refused_before_anything_is_written():
    with pytest.raises(kinds.UnknownKind):
        services.job_enqueue(kind="no_such_kind")
    assert not Job.objects.exists() and not DBTaskResult.objects.exists()


def test_a_queued_job_waits_for_the_worker_then_runs_once(personas):
    job = services.job_enqueue(
        kind="t_echo",
        args={"n": 1},
        actor=personas["operator"],
        region_code="210124101000",
        subject=personas["operator"],
    )
    assert (job.state, CALLS, attempts_of(job)) == ("queued", [], ["READY"])
    assert job_latest_for(personas["operator"]) == job
    run_ready_jobs()
    job.refresh_from_db()
    assert CALLS == [{"n": 1}]
    assert (job.state, job.attempts, job.failures, job.result) == ("done", 1, 0, {"echo": {"n": 1}})
    assert (job.stage, job.percent) == ("half", 100.0) and job.finished_at is not None
    assert attempts_of(job) == ["SUCCESSFUL"]
    run_ready_jobs()
    assert len(CALLS) == 1  # nothing runs twice


def test_inline_runner_runs_the_job_before_enqueue_returns(settings):
    settings.PIMS_JOB_RUNNER = "inline"
    job = services.job_enqueue(kind="t_echo", args={"n": 2})
    assert (job.state, CALLS, attempts_of(job)) == ("done", [{"n": 2}], [])


def test_an_error_is_retried_after_the_kinds_delay_until_it_succeeds():
    job = services.job_enqueue(kind="t_flaky", args={"fail_times": 1})
    before = timezone.now()
    run_ready_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.failures) == ("queued", 1, 1)
    assert "attempt 1 broke" in job.message
    assert dt.timedelta(seconds=29) < job.run_after - before < dt.timedelta(seconds=31)
    assert job_status(job).retry_at == job.run_after
    assert attempts_of(job) == ["FAILED", "READY"]
    run_ready_jobs()  # not before its time
    assert len(CALLS) == 1
    make_ready(job)
    run_ready_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.failures, job.result) == ("done", 2, 1, "ok")
    assert attempts_of(job) == ["FAILED", "SUCCESSFUL"]


def test_a_job_that_keeps_failing_fails_for_good_after_max_failures():
    job = services.job_enqueue(kind="t_flaky", args={"fail_times": 99})
    for _ in range(5):
        make_ready(job)
        run_ready_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.failures) == ("failed", 3, 3)
    assert "attempt 3 broke" in job.message and job.finished_at is not None
    assert attempts_of(job) == ["FAILED"] * 3


def test_a_refused_job_fails_at_once_with_its_message():
    job = services.job_enqueue(kind="t_refused")
    run_ready_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.failures, job.message) == ("failed", 1, 0, "文件已不存在")
    assert attempts_of(job) == ["SUCCESSFUL"]


def test_a_stopped_worker_puts_its_job_back_without_counting_a_failure():
    job = services.job_enqueue(kind="t_stops")
    run_ready_jobs(max_tasks=1)  # a stopped worker takes no further job
    job.refresh_from_db()
    assert (job.state, job.attempts, job.failures) == ("queued", 1, 0)
    assert job.message == services.STOPPED_MESSAGE and job.run_after is None
    services.interrupt.requested = False  # the next worker
    run_ready_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts, job.result) == ("done", 2, "finished")


def test_a_stray_attempt_does_not_run_the_job_again():
    job = services.job_enqueue(kind="t_echo")
    stray = Job.objects.get(pk=job.pk).task_id
    services._submit(job)  # a second attempt now is the current one
    run_ready_jobs()
    job.refresh_from_db()
    assert len(CALLS) == 1 and job.state == "done" and job.task_id != stray


def test_progress_is_written_at_most_once_a_second_and_on_every_stage_change():
    job = services.job_enqueue(kind="t_echo")
    ctx = services.JobContext(Job.objects.get(pk=job.pk))
    ctx.progress(1, 10, "read")
    ctx.progress(2, 10, "read")  # within the second: not written
    assert (Job.objects.get(pk=job.pk).progress_done, Job.objects.get(pk=job.pk).percent) == (1, 10.0)
    ctx.progress(3, 10, "load")
    assert Job.objects.get(pk=job.pk).stage == "load"
    ctx.progress(10, 10, "load")  # complete: written
    assert Job.objects.get(pk=job.pk).percent == 100.0
    ctx.progress(5, 0, "check")
    assert Job.objects.get(pk=job.pk).percent is None  # total unknown


# ---------------------------------------------------------------------------
# Lost workers


def beat(worker_id, *, host=None, pid=None, ticks=0, seen_ago=0.0, stopped=False):
    now = timezone.now()
    return WorkerBeat.objects.create(
        worker_id=worker_id,
        hostname=host or socket.gethostname(),
        pid=pid or os.getpid(),
        pid_started=ticks,
        started_at=now - dt.timedelta(hours=1),
        last_seen=now - dt.timedelta(seconds=seen_ago),
        stopped_at=now if stopped else None,
    )


def running_on(worker_id: str) -> Job:
    """A job a worker has claimed and is running (as the library and job_execute leave it)."""
    job = services.job_enqueue(kind="t_echo")
    job.refresh_from_db()
    assert job.task_id is not None
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", worker_ids=[worker_id])
    Job.objects.filter(pk=job.pk).update(state="running", worker_id=worker_id, attempts=1)
    return job


def dead_pid() -> int:
    pid = os.getpid()
    while True:
        pid += 7919
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return pid
        except PermissionError:
            pass


@pytest.mark.parametrize(
    "case",
    ["dead pid here", "recycled pid here", "stopped", "silent elsewhere", "no heartbeat"],
)
def test_the_job_of_a_lost_worker_goes_back_to_the_queue(case):
    wid = f"w-{case}"
    if case == "dead pid here":
        beat(wid, pid=dead_pid())
    elif case == "recycled pid here":
        beat(wid, ticks=start_ticks() + 1)  # our pid, but a process that started at another time
    elif case == "stopped":
        beat(wid, stopped=True)
    elif case == "silent elsewhere":
        beat(wid, host="other-host", seen_ago=services.DEAD_AFTER + 5)
    job = running_on(wid)
    lost_attempt = job.task_id
    assert services.jobs_recover() == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.failures, job.message, job.run_after) == ("queued", 1, services.LOST_MESSAGE, None)
    assert DBTaskResult.objects.get(id=lost_attempt).status == "FAILED"
    assert services.jobs_recover() == []  # once
    run_ready_jobs()
    job.refresh_from_db()
    assert (job.state, job.attempts) == ("done", 2) and len(CALLS) == 1


@pytest.mark.parametrize("case", ["alive here", "beating elsewhere", "alive here, heartbeat late"])
def test_the_job_of_a_live_worker_is_left_alone(case):
    wid = f"w-{case}"
    if case == "beating elsewhere":
        beat(wid, host="other-host", seen_ago=5)
    else:
        beat(wid, ticks=start_ticks(), seen_ago=600 if "late" in case else 1)
    job = running_on(wid)
    assert services.jobs_recover() == []
    job.refresh_from_db()
    assert (job.state, job.worker_id, job.failures) == ("running", wid, 0)


def test_an_attempt_claimed_by_a_worker_that_died_before_starting_it_is_queued_again():
    beat("w-gone", pid=dead_pid())
    job = services.job_enqueue(kind="t_echo")
    job.refresh_from_db()
    DBTaskResult.objects.filter(id=job.task_id).update(status="RUNNING", worker_ids=["w-gone"])
    assert services.jobs_recover() == [job.pk]
    job.refresh_from_db()
    assert (job.state, job.failures) == ("queued", 0)
    run_ready_jobs()
    assert Job.objects.get(pk=job.pk).state == "done"


def test_a_worker_that_lost_its_job_to_recovery_does_not_overwrite_it():
    beat("w-old", host="other-host", seen_ago=services.DEAD_AFTER + 5)
    job = running_on("w-old")
    services.jobs_recover()
    services._finish(Job.objects.get(pk=job.pk), "w-old", state="done")  # the old worker comes back
    assert Job.objects.get(pk=job.pk).state == "queued"


def test_too_many_lost_workers_fail_the_job():
    job = running_on("w-0")
    for n in range(3):
        if n:
            Job.objects.filter(pk=job.pk).update(state="running", worker_id=f"w-{n}")
        services.jobs_recover()
    job.refresh_from_db()
    assert (job.state, job.failures) == ("failed", 3)


def test_old_heartbeats_are_pruned_unless_a_running_job_names_them():
    beat("w-old", seen_ago=2 * 86400, stopped=True)
    beat("w-busy", host="other-host", seen_ago=2 * 86400)
    running_on("w-busy")
    services.worker_beats_prune()
    assert set(WorkerBeat.objects.values_list("worker_id", flat=True)) == {"w-busy"}


def test_worker_health_reports_the_freshest_heartbeat():
    health = worker_health()
    assert not health.alive and health.last_seen is None
    job = services.job_enqueue(kind="t_echo")
    assert job_status(job).waiting_for_worker
    beat("w-stopped", stopped=True, seen_ago=3)
    health = worker_health()
    assert not health.alive and health.workers == 0 and health.last_seen is not None
    beat("w-1", seen_ago=2)
    beat("w-2", host="other-host", seen_ago=services.DEAD_AFTER + 1)
    health = worker_health()
    assert health.alive and health.workers == 1
    assert not job_status(job).waiting_for_worker


def test_the_job_partial_says_when_it_retries_why_it_failed_and_that_no_worker_runs():
    from django.template.loader import render_to_string

    job = services.job_enqueue(kind="t_flaky", args={"fail_times": 99})
    page = render_to_string("jobs/_job_state.html", {"status": job_status(job)})
    assert "排队等待后台任务进程执行" in page and 'data-testid="worker-missing"' in page
    run_ready_jobs()
    job.refresh_from_db()
    beat("w-1")
    page = render_to_string("jobs/_job_state.html", {"status": job_status(job)})
    assert "第 1 次执行未成功" in page and "attempt 1 broke" in page and "worker-missing" not in page
    Job.objects.filter(pk=job.pk).update(state="failed")
    page = render_to_string("jobs/_job_state.html", {"status": job_status(Job.objects.get(pk=job.pk))})
    assert 'data-testid="job-failed"' in page and "attempt 1 broke" in page
