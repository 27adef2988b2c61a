"""The approval's refusals and their messages (kinds: pims.lib.errors).
Tests assert these constants, not the wording."""

from django.utils.translation import gettext_lazy as _

# --- who may act (NotPermitted: answered as 404) -------------------------------------
NOT_YOURS = _("您不能审批该乡镇的数据")

# --- input (Invalid: 422) -----------------------------------------------------------------
PERIOD_INVALID = _("月份“%(period)s”无效")
PERIOD_NOT_OVER = _("%(period)s 尚未结束，不能审批")
REASON_REQUIRED = _("撤回必须说明原因")

# --- state (Conflict: 409) -----------------------------------------------------------------
OPEN_WORK = _("%(region)s %(period)s 还有未办结的工作：%(items)s")
NOT_OPEN = _("该月已经审批")
NOT_APPROVED = _("该月尚未经乡镇审批，或已由县级确认")
NOT_ACCEPTED = _("该月尚未经县级确认")
ALREADY_UPLOADED = _("该月数据已上传到省，不能撤回确认；更正请在以后月份办理")
# Raised by the events app when a report is opened for a locked month.
PERIOD_LOCKED = _("%(region)s %(period)s 的数据已审批锁定，变更请在以后月份的变更单中报告")
