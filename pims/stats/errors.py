"""The statistics app's refusals and their messages (kinds: pims.lib.errors)."""

from django.utils.translation import gettext_lazy as _

# NotPermitted (404)
CLOSE_NOT_YOURS = _("只有县管理员可以为本县月结")
REOPEN_NOT_YOURS = _("只有本县的县管理员可以撤销月结")
# Invalid (422)
CLOSE_PERIOD_INVALID = _("统计月份“%(value)s”无效（格式 YYYY-MM）")
REOPEN_NEEDS_REASON = _("撤销月结必须说明原因（至少 4 个字）")
# Conflict (409)
CLOSE_PERIOD_NOT_OVER = _("%(period)s 尚未结束，不能月结（只能关闭已经过去的月份）")
CLOSE_REPORTS_OPEN = _("%(period)s 还有 %(n)d 份信息变更单未审核通过，不能月结")
CLOSE_VILLAGES_MISSING = _(
    "%(period)s 还有 %(n)d 个村未报送信息变更单（%(villages)s），不能月结；"
    "各村无变动也须报送零报告。确需月结的，请填写缺报仍月结的原因（记入审计日志）"
)
CLOSE_OVERRIDE_NEEDS_REASON = _("缺报仍月结须说明原因（至少 4 个字）")
CLOSE_ALREADY = _("%(region)s %(period)s 已经月结")
REOPEN_ALREADY = _("该月结已经撤销")
