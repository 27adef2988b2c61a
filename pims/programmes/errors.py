"""Messages of the programmes' refusals (constants the tests assert)."""

from django.utils.translation import gettext_lazy as _

CYCLE_EXISTS = _("%(programme)s %(year)s 年度已开始，不能重复开始")
NOT_A_COUNTY = _("只有县级管理员可以开始扶助年度")
CYCLE_LOCKED = _("县级已确认的名单已锁定，变动请作为停发或下一年度处理")
CYCLE_NOT_CONFIRMED = _("县级确认后方可生成名册")
WRONG_STAGE = _("该对象当前环节为“%(stage)s”，不能办理此操作")
NOT_ELIGIBLE_NOW = _("复核未通过，不能评议通过：%(reasons)s")
NOTHING_TO_PUBLISH = _("本村没有村级评议通过的对象，无需公示")
NOTICE_RUNNING = _("公示期至 %(ends)s 止，期满后方可初审")
NO_NOTICE = _("本村尚未公示，不能初审")
NOTHING_TO_CONFIRM = _("没有乡镇初审通过的对象")
COMMENT_REQUIRED = _("不予通过须说明理由")
ALREADY_STOPPED = _("该对象已停发")
ROSTER_NOT_YOURS = _("名册不在您的管辖范围内")
FACT_VALUE_INVALID = _("取值“%(value)s”对“%(kind)s”无效")
