"""An import job and its staged rows.

A job is identified by the SHA-256 of its file. Stage 1 reads the file and
stages every row (already judged by the input rules, personal values already
encrypted: no plaintext ID number is ever staged); stage 2 loads the staged
rows household by household. Each chunk of either stage commits together
with the job's progress (`staged_lines` / `staged_offset`, `loaded_through`),
so a killed import resumes from its last commit: nothing lost, nothing twice.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    class State(models.TextChoices):
        STAGING = "staging", _("读取文件")
        LOADING = "loading", _("写入登记库")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    class FamilyMode(models.TextChoices):
        """What happens to the rest of a household when one member's row is
        rejected (the operator chooses per import; docs/police-import.md)."""

        MEMBERS = "members", _("载入有效成员（该户标记为成员不全，列入待办）")
        HOUSEHOLD = "household", _("整户暂缓（该户各行都不载入，待退回行改正后整户导入）")

    kind = models.CharField(_("来源"), max_length=20, default="police")
    file_name = models.CharField(_("文件名"), max_length=255)
    file_path = models.CharField(_("文件位置"), max_length=500)
    file_sha256 = models.CharField(_("文件 SHA-256"), max_length=64, db_index=True)
    file_size = models.BigIntegerField(_("文件大小"), default=0)
    file_format = models.CharField(_("格式"), max_length=10, blank=True)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    village_default = models.CharField(_("默认村级区划"), max_length=12, blank=True)
    # The jurisdiction the job was started in: the starter's region, "" from the command line.
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(_("操作人"), max_length=150, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.STAGING)
    message = models.TextField(_("说明"), blank=True)
    # Stage 1: physical lines read (header included) and the byte offset after them (CSV).
    staged_lines = models.PositiveIntegerField(default=0)
    staged_offset = models.BigIntegerField(default=0)
    rows_total = models.PositiveIntegerField(_("数据行数"), default=0)
    # Stage 2: households are numbered 1..households_total; loaded_through counts those done
    # (chunks may commit in any order: the staged rows' states say which).
    households_total = models.PositiveIntegerField(_("户数"), default=0)
    loaded_through = models.PositiveIntegerField(default=0)
    rows_loaded = models.PositiveIntegerField(_("新增人员"), default=0)
    rows_present = models.PositiveIntegerField(_("已登记未变"), default=0)
    rows_rejected = models.PositiveIntegerField(_("退回行数"), default=0)
    households_created = models.PositiveIntegerField(_("新增户"), default=0)
    warnings = models.JSONField(_("提示"), default=dict, blank=True)
    rejected_file = models.CharField(_("退回文件"), max_length=500, blank=True)
    family_mode = models.CharField(
        _("户内有退回行时"), max_length=10, choices=FamilyMode.choices, default=FamilyMode.MEMBERS
    )
    # Members mode: households that got members from this file while others of
    # their rows were rejected (ids); a later import that completes one takes it off.
    incomplete_households = models.JSONField(_("成员不全的户"), default=list, blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("导入任务")
        verbose_name_plural = _("导入任务")

    def __str__(self):
        return f"import {self.pk} {self.file_name} ({self.state})"

    @property
    def progress(self) -> float:
        """0–1 over both stages (staging counts for a third)."""
        if self.state == self.State.DONE:
            return 1.0
        if self.state == self.State.STAGING:
            return min(1.0, self.staged_offset / self.file_size) / 3 if self.file_size else 0.0
        return 1 / 3 + (2 / 3) * (self.loaded_through / self.households_total if self.households_total else 1.0)


class StagedRow(models.Model):
    """One data row of an import file after the input rules.

    `state`: ok (waiting for stage 2), rejected (with `reasons`), loaded
    (person created: `person_id`), present (already registered, unchanged).
    Personal values are stored as the register stores them (encrypted,
    blind-indexed, masked); the row's original text is read back from the
    file when the rejected-rows file is written.
    """

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="rows")
    line = models.PositiveIntegerField()
    state = models.CharField(max_length=10, default="ok")
    reasons = models.TextField(blank=True)
    rule_ids = models.CharField(max_length=200, blank=True)
    hh_key = models.PositiveIntegerField(null=True)
    village_id = models.BigIntegerField(null=True)
    village_code = models.CharField(max_length=12, blank=True)
    number = models.CharField(max_length=40, blank=True)
    hh_type = models.CharField(max_length=1, blank=True)
    address = models.CharField(max_length=200, blank=True)
    name = models.CharField(max_length=50, blank=True)
    name_pinyin = models.CharField(max_length=120, blank=True)
    name_initials = models.CharField(max_length=20, blank=True)
    id_cipher = models.TextField(blank=True)
    id_index = models.CharField(max_length=64, null=True)
    id_masked = models.CharField(max_length=18, blank=True)
    id_sex = models.CharField(max_length=1, blank=True)
    id_birth_date = models.DateField(null=True)
    no_id_reason = models.CharField(max_length=2, blank=True)
    sex = models.CharField(max_length=1, blank=True)
    birth_date = models.DateField(null=True)
    ethnicity = models.CharField(max_length=2, blank=True)
    education = models.CharField(max_length=2, blank=True)
    occupation = models.CharField(max_length=3, blank=True)
    marital_status = models.CharField(max_length=2, blank=True)
    relationship = models.CharField(max_length=2, blank=True)
    hukou_type = models.CharField(max_length=2, blank=True)
    registered_code = models.CharField(max_length=12, blank=True)
    residence_code = models.CharField(max_length=12, blank=True)
    residence_status = models.CharField(max_length=1, blank=True)
    phone_cipher = models.TextField(blank=True)
    phone_index = models.CharField(max_length=64, blank=True)
    phone_masked = models.CharField(max_length=20, blank=True)
    spouse_index = models.CharField(max_length=64, blank=True)
    mother_index = models.CharField(max_length=64, blank=True)
    father_index = models.CharField(max_length=64, blank=True)
    household_id = models.BigIntegerField(null=True)
    person_id = models.BigIntegerField(null=True)
    row = models.PositiveSmallIntegerField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "line"], name="stagedrow_line_once")]
        indexes = [
            models.Index(fields=["job", "hh_key"], name="stagedrow_job_household"),
            models.Index(fields=["job", "id_index"], name="stagedrow_job_id"),
        ]

    def __str__(self):
        return f"job {self.job_id} line {self.line} {self.state}"


class IntakeRecord(models.Model):
    """One record of a departmental file (a civil-affairs marriage
    registration, …) after judging and matching.

    A record whose persons all match the register exactly (citizen ID after
    normalisation, check digit and 15→18 conversion, with name, sex and
    birth date agreeing) is filed at once as an event of the source's change
    report; any other waits in the review queue of the region it belongs to
    (`region_code`) until a reviewer accepts, rejects or dismisses it.
    `parties` keeps each person as the file gave them (the ID encrypted,
    blind-indexed and masked as the register stores it); `matches` what the
    matcher found for each. A record already imported (same source, kind and
    document number) is recognised and changes nothing."""

    class State(models.TextChoices):
        REJECTED = "rejected", _("退回")
        REVIEW = "review", _("待核对")
        FILED = "filed", _("已生成变更事件")
        NO_CHANGE = "no_change", _("无需变更")
        PRESENT = "present", _("已导入过")
        DISMISSED = "dismissed", _("已驳回")

    job = models.ForeignKey(ImportJob, on_delete=models.PROTECT, related_name="records")
    source = models.CharField(_("来源"), max_length=20)
    line = models.PositiveIntegerField(_("行号"))
    kind = models.CharField(_("业务类型"), max_length=20, blank=True)
    doc_number = models.CharField(_("证件编号"), max_length=60, blank=True, db_index=True)
    effective_date = models.DateField(_("登记日期"), null=True, blank=True)
    authority = models.CharField(_("登记机关"), max_length=100, blank=True)
    parties = models.JSONField(_("文件中的人员"), default=dict, blank=True)
    matches = models.JSONField(_("比对结果"), default=dict, blank=True)
    # What else the record says (a newborn's particulars …), as judged.
    details = models.JSONField(_("其他项目"), default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices)
    rule_ids = models.CharField(_("规则"), max_length=200, blank=True)
    field = models.CharField(_("项目"), max_length=60, blank=True)
    reasons = models.TextField(_("说明"), blank=True)
    # The village the record belongs to (a matched person's), else the job's region: its scope.
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    related_person = models.ForeignKey(
        "registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    event = models.ForeignKey("events.Event", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.TextField(_("处理意见"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["job_id", "line"]
        constraints = [models.UniqueConstraint(fields=["job", "line"], name="intakerecord_line_once")]
        indexes = [
            models.Index(fields=["state", "region_code"], name="intakerecord_queue"),
            models.Index(fields=["source", "kind", "doc_number"], name="intakerecord_document"),
        ]
        verbose_name = _("部门数据记录")
        verbose_name_plural = _("部门数据记录")

    KIND_LABELS = {
        "marriage": _("结婚"),
        "divorce": _("离婚"),
        "reissue": _("补领"),
        "revoke": _("撤销"),
        "birth": _("出生"),
        "move_in": _("迁入"),
        "move_out": _("迁出"),
        "death": _("死亡注销"),
        "cancel": _("其他注销"),
        "change": _("信息变更"),
    }
    SOURCE_LABELS = {"civil": _("民政"), "health": _("卫健"), "police": _("公安")}

    def __str__(self):
        return f"{self.source} {self.kind} {self.doc_number} ({self.state})"

    @property
    def kind_label(self):
        return self.KIND_LABELS.get(self.kind, self.kind)

    @property
    def source_label(self):
        return self.SOURCE_LABELS.get(self.source, self.source)


class MatchModel(models.Model):
    """The probabilistic matcher's model of one county (Splink's settings
    with their parameters, pims.integration.pipeline.probable): trained once
    on the county's register — the u-probabilities from a seeded random
    sample of its persons, so a retraining on the same register gives the
    same model — and used for every departmental file of the county until
    it is trained again. Each pair's probability recorded on a record names
    the model it came from."""

    county_code = models.CharField(_("县级区划代码"), max_length=12, db_index=True)
    version = models.PositiveSmallIntegerField(_("模型版本"))
    seed = models.IntegerField(_("随机种子"))
    register_size = models.PositiveIntegerField(_("训练时登记人数"))
    settings = models.JSONField(_("模型参数"))
    trained_at = models.DateTimeField(_("训练时间"), auto_now_add=True)

    class Meta:
        ordering = ["county_code", "-trained_at", "-id"]
        verbose_name = _("概率比对模型")
        verbose_name_plural = _("概率比对模型")

    def __str__(self):
        return f"match model {self.pk} {self.county_code} v{self.version}"


class DuplicatePair(models.Model):
    """Two register persons the probabilistic matcher, run over the register
    itself, takes for one person (the same person entered by two villages,
    or with a mistyped ID): listed for a reviewer of the region holding both
    (`region_code`: their nearest common region), who compares them side by
    side and dismisses the pair or merges one into the other. `person_a`
    is the one with the lower id; a pair is found once."""

    class State(models.TextChoices):
        OPEN = "open", _("待核对")
        DISMISSED = "dismissed", _("不是同一人")
        MERGED = "merged", _("已合并")

    person_a = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    person_b = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField(_("匹配概率"))
    why = models.JSONField(_("比对依据"), default=list, blank=True)
    model = models.ForeignKey(MatchModel, on_delete=models.PROTECT, related_name="+")
    region_code = models.CharField(_("区划代码"), max_length=12, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    found_at = models.DateTimeField(_("发现时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    decision_note = models.TextField(_("处理意见"), blank=True)

    class Meta:
        ordering = ["-probability", "id"]
        constraints = [models.UniqueConstraint(fields=["person_a", "person_b"], name="duplicatepair_once")]
        indexes = [models.Index(fields=["state", "region_code"], name="duplicatepair_queue")]
        verbose_name = _("疑似重复人员")
        verbose_name_plural = _("疑似重复人员")

    def __str__(self):
        return f"duplicate {self.person_a_id}~{self.person_b_id} ({self.state})"
