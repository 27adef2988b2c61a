"""The imports on the starter's work queue: failed or finished lately (the
window from the parameter table), never another user's or region's."""

import datetime as dt

from pims.integration.models import ImportJob
from pims.lib import clock
from pims.web.queues import work_queue


def job(user, **extra):
    return ImportJob.objects.create(
        file_name="extract.csv",
        file_sha256="0" * 64,
        region_code=user.region.code,
        actor=user,
        username=user.username,
        **extra,
    )


def items(user):
    return [e.item for e in work_queue(user=user).entries if e.source.key == "integration.imports"]


def test_finished_and_failed_imports_wait_for_their_starter_for_a_week(personas):
    operator = personas["operator"]
    now = clock.now()
    done = job(operator, state=ImportJob.State.DONE, finished_at=now, rows_loaded=40, rows_rejected=2)
    failed = job(operator, state=ImportJob.State.FAILED, finished_at=now, message="文件编码无法识别")
    job(operator, state=ImportJob.State.DONE, finished_at=now - dt.timedelta(days=8))  # older than the window
    job(operator, state=ImportJob.State.LOADING)  # still running
    found = {i.key: i for i in items(operator)}
    assert set(found) == {f"integration.import:{done.pk}:done", f"integration.import:{failed.pk}:failed"}
    assert "退回 2 行" in found[f"integration.import:{done.pk}:done"].detail
    assert found[f"integration.import:{failed.pk}:failed"].urgent
    assert items(personas["county"]) == []  # the county sees the job's page, but it is not its work
    assert items(personas["outsider"]) == []
