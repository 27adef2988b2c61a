"""The exchange's refusals and their messages (kinds: pims.lib.errors).
Tests assert these constants, not the wording."""

from django.utils.translation import gettext_lazy as _

# --- who may act (NotPermitted: answered as 404) -----------------------------------------
NOT_YOUR_NODE = _("您不能代表该单位办理这条信息")
PERSON_NOT_VISIBLE = _("该人员不在您的辖区内")
MESSAGE_NOT_VISIBLE = _("该信息不存在或不在您的辖区内")

# --- input (Invalid: 422) ------------------------------------------------------------------
RECEIVER_UNKNOWN = _("接收单位“%(code)s”不存在、已撤销或不是乡镇及以上单位")
RECEIVER_IS_SENDER = _("不能发给本单位")
TOPIC_NOT_FOR_KIND = _("%(kind)s不能以“%(topic)s”为事由")
PERSON_REQUIRED = _("%(kind)s必须指明对象人员")
REASON_REQUIRED = _("退回必须说明原因")
ANSWER_REQUIRED = _("反馈必须填写内容")

# --- state (Conflict: 409) ------------------------------------------------------------------
NOT_DRAFT = _("只有草稿可以发出")
NOT_AWAITING_ROUTE = _("该信息不需要转递或已经转递")
NOT_DELIVERED = _("该信息尚未送达本单位或已经签收")
NOT_ANSWERABLE = _("只有已签收的协查可以反馈")
NOT_REFUSABLE = _("该信息已办结，不能退回")
NOT_WITHDRAWABLE = _("已签收或已办结的信息不能撤回")
NOTICE_EXISTS = _("该事件已向该单位通报过")

# --- handover lists (交接清单) -------------------------------------------------------------
LIST_NOT_SENDER_CONFIRMED = _("交接清单须先由移交方确认后才能发出")
LIST_SENDER_CONFIRMED = _("交接清单已由移交方确认")
LIST_NOT_RECEIVABLE = _("交接尚未送达本单位，或已经办结")
LIST_CONFIRMED = _("交接清单已经确认，不能再次确认")
RECEIPT_UNKNOWN = _("接收状态“%(receipt)s”无效")
RECEIPT_REASON_REQUIRED = _("%(name)s：有疑问或拒收必须说明原因")

# --- entry that starts an exchange ---------------------------------------------------------
ID_NOT_REGISTERED = _("该公民身份号码未在册，无需协查")
ID_REGISTERED_HERE = _("该人员在本辖区，请直接办理")
INQUIRY_TEXT_REGISTERED_ELSEWHERE = _("本辖区采集时发现该人员户籍在贵处，请核实其户籍与现居住情况并反馈。")
HOUSEHOLD_PENDING = _("该户有人员正在协查户籍地，待反馈后才能提交或审核")
HOUSEHOLD_NOT_YOURS = _("该户不存在或您不能录入")
