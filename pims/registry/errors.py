"""The register's refusals and their messages (kinds: pims.lib.errors).

Tests assert these constants (``exc.template is FORM_NOT_EDITABLE``), not the
wording. Rule violations of the check catalogue carry their own ids and
messages (`checks`); `FormRefused` turns them into one refusal."""

from django.utils.translation import gettext_lazy as _

from pims.lib.errors import Conflict, Invalid, Problem

# --- who may act (NotPermitted: answered as 404) -------------------------------------------
VILLAGE_NOT_YOURS = _("村级区划不存在或不在您的辖区内")
ROLE_CANNOT_COLLECT = _("您的角色不能录入采集表")
FORM_NOT_YOURS_TO_REVIEW = _("只有本辖区的审核员可以审核采集表")
ROLE_CANNOT_UNMASK = _("您的角色不能查看完整的公民身份号码")
SAMPLE_NOT_YOURS = _("只有本辖区的审核员可以进行质量抽查")
BASELINE_NOT_YOURS = _("只有本辖区的县管理员或乡镇录入员、审核员可以录入摸底基数")
CHECK_RUN_NOT_YOURS = _("只有本辖区的审核员或县管理员可以运行逻辑审核")

# --- state (Conflict: 409) -----------------------------------------------------------------
HOUSEHOLD_CHANGED = _(
    "该户已被其他用户修改。为避免覆盖他人的修改，本次保存未生效；您填写的内容仍保留在页面上，请刷新查看最新内容后重新录入。"
)
FORM_NOT_EDITABLE = _("采集表已提交或已审核，不能再修改（审核通过后的变化请通过变更事件登记）")
FORM_NOT_SUBMITTABLE = _("只有草稿或已退回的采集表可以提交")
FORM_NOT_SUBMITTED = _("只有已提交的采集表可以审核")
RETURN_NEEDS_COMMENT = _("退回时必须至少填写一条审核意见")
FORM_STILL_HAS_ERRORS = _("采集表仍有逻辑错误，不能审核通过：%(errors)s")

# --- input (Invalid: 422) ----------------------------------------------------------------
SCAN_TOO_LARGE = _("采集表扫描件不能超过 10 MB")
SCAN_WRONG_TYPE = _("采集表扫描件必须是 PNG、JPEG 图片或 PDF 文件")
FORM_HAS_ERRORS = _("采集表未保存：有 %(n)d 处错误，请按规则编号、行号和字段更正后重新提交。")
FORM_HAS_WARNINGS = _("有 %(n)d 处提示需要确认：请核实后带 confirm_warnings=true 重新提交。")
SAMPLE_SIZE_MISSING = _("请填写抽取户数或抽取比例（二者填一项）")
SAMPLE_COUNT_INVALID = _("抽取户数应为正整数")
SAMPLE_PERCENT_INVALID = _("抽取比例应为 0–100 之间的数")
SAMPLE_NOT_VILLAGE = _("只能按村抽查")
SAMPLE_INTEGERS_INVALID = _("抽取户数和随机种子应为非负整数")
SAMPLE_SEED_INVALID = _("随机种子应为 0 到 2^53 之间的整数")
SAMPLE_FRAME_EMPTY = _("该村没有已提交或已审核通过的采集表，无法抽查")
SAMPLE_COUNTS_INVALID = _("核查项数和差错项数应为非负整数")
SAMPLE_CHECKED_MISSING = _("请填写核查项数")
SAMPLE_CHECKED_TOO_FEW = _("核查项数至少为 1")
SAMPLE_WRONG_TOO_MANY = _("差错项数不能大于核查项数")
BASELINE_NOT_VILLAGE = _("摸底基数按村录入")
BASELINE_INTEGERS_INVALID = _("摸底户数和人数应为非负整数")
BASELINE_MISSING = _("请填写摸底户数和摸底人数")
BASELINE_OUT_OF_RANGE = _("摸底户数和人数应为 0 到 1000000 之间的整数")
BASELINE_PERSONS_BELOW_HOUSEHOLDS = _("摸底人数不能少于摸底户数（每户至少一人）")


class HouseholdChanged(Conflict):
    """Someone else saved the household since it was read (stale version)."""

    default_message = HOUSEHOLD_CHANGED


def violation_problem(v) -> Problem:
    """A catalogue violation as a Problem; its row names the record."""
    return Problem(
        message=v.message,
        rule=v.rule_id,
        field=v.field,
        record=f"第 {v.row} 行" if v.row else "",
        details={"severity": str(v.severity), "row": v.row},
    )


class FormRefused(Invalid):
    """A collection form the check catalogue refused (errors, or warnings not
    confirmed); nothing was saved. The API also answers the violations under
    their older name ``violations``."""

    def __init__(self, violations: list):
        errors = [v for v in violations if str(v.severity) == "error"]
        summary = (FORM_HAS_ERRORS, len(errors)) if errors else (FORM_HAS_WARNINGS, len(violations))
        self.violations = violations
        super().__init__(
            summary[0],
            problems=[violation_problem(v) for v in violations],
            extra={"violations": [v.as_dict() for v in violations]},
            n=summary[1],
        )


# --- volume register (装订册) -----------------------------------------------------
VOLUME_NOT_YOURS = _("只能登记本辖区村的装订册")
VOLUME_INVALID = _("装订册信息不完整")
VOLUME_FIELD_REQUIRED = _("此项必填")
VOLUME_FIELD_TOO_LONG = _("内容过长")
VOLUME_NUMBER_TAKEN = _("%(village)s 已有册号为 %(number)s 的装订册")
