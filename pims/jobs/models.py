"""The queue's records that the project reads: one `Job` per piece of work
(its state, attempts and progress, whatever the attempts were) and one
`WorkerBeat` per worker process (its heartbeat).

The queue itself is django-tasks' database backend (`django_tasks_db`):
every attempt of a job is one of its `DBTaskResult` rows, and `Job.task_id`
names the current one. Pages read `Job`, never the library's rows.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Job(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("排队等待")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    kind = models.CharField(_("任务类型"), max_length=60)
    args = models.JSONField(_("参数"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The jurisdiction the job belongs to (the starter's region): pages scope jobs by it.
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    # The record the job works on, "app_label.model:pk" (services.subject_of): its page finds the job by it.
    subject = models.CharField(_("对象"), max_length=100, blank=True, db_index=True)
    # Every start by a worker; `failures` counts the starts that ended in an
    # error or with the worker's death (a worker's orderly stop is neither).
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    failures = models.PositiveSmallIntegerField(_("失败次数"), default=0)
    # The current attempt: django_tasks_db's DBTaskResult id, and who runs it.
    task_id = models.UUIDField(null=True, blank=True, db_index=True)
    worker_id = models.CharField(max_length=64, blank=True)
    run_after = models.DateTimeField(_("重试时间"), null=True, blank=True)
    stage = models.CharField(_("阶段"), max_length=100, blank=True)
    progress_done = models.FloatField(default=0)
    progress_total = models.FloatField(default=0)
    message = models.TextField(_("说明"), blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("后台任务")
        verbose_name_plural = _("后台任务")
        indexes = [models.Index(fields=["state", "kind"], name="job_state_kind")]

    def __str__(self):
        return f"job {self.pk} {self.kind} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.DONE, self.State.FAILED)

    @property
    def percent(self) -> float | None:
        """0–100, or None while the total is unknown."""
        if self.state == self.State.DONE:
            return 100.0
        if self.progress_total <= 0:
            return None
        return round(100 * min(1.0, self.progress_done / self.progress_total), 1)


class WorkerBeat(models.Model):
    """A worker process's heartbeat, written every few seconds by a small
    process beside it (pims.jobs.worker) for as long as the worker lives."""

    worker_id = models.CharField(max_length=64, primary_key=True)
    hostname = models.CharField(max_length=255)
    pid = models.PositiveIntegerField()
    # The process's start time in clock ticks since boot (Linux), so that a
    # recycled pid is not taken for the worker; 0 where unknown.
    pid_started = models.BigIntegerField(default=0)
    started_at = models.DateTimeField()
    last_seen = models.DateTimeField(db_index=True)
    stopped_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务进程")
        verbose_name_plural = _("后台任务进程")

    def __str__(self):
        return f"worker {self.worker_id} {self.hostname}:{self.pid}"
