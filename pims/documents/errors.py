"""The documents' refusals and their messages (kinds: pims.lib.errors).
Tests assert these constants, not the wording."""

from django.utils.translation import gettext_lazy as _

# --- who may act (NotPermitted: answered as 404) -----------------------------------------
NOT_YOUR_OFFICE = _("您不能代表该受理单位办理")
PERSON_NOT_VISIBLE = _("该人员不在您的辖区内")

# --- input (Invalid: 422), each naming the field and the rule ------------------------------
NOT_IN_REGISTER = _("%(who)s不在人口信息库中：请先通过采集表登记（先建立再办理）")
NO_CURRENT_MARRIAGE = _(
    "%(name)s在库中没有现存婚姻记录：生育登记由已婚夫妻申请，未婚父母可在登记结婚后补登（规则：申请人须为夫妻）"
)
NOT_MARRIED_STATUS = _("%(name)s的婚姻状况为“%(status)s”，不是已婚（20–23）（规则：申请人须为夫妻）")
NOT_ACTIVE = _("%(name)s的人员状态不是“正常”（规则：申请人须在册）")
WRONG_SEX = _("%(name)s的性别与“%(role)s”不符（规则：男方为男性、女方为女性）")
CODE_INVALID = _("%(name)s的%(label)s“%(code)s”不在代码手册中（规则：按代码手册登记）")
WRONG_OFFICE = _("受理地%(office)s不是任一方户籍地或现居住地所在的乡镇（规则：受理地）")
OUT_OF_PROVINCE = _("双方户籍均不在本省，且未都在本省居住满%(months)s个月（规则：登记条件）")
DUE_OR_CHILD = _("请填写预产期，或选择已出生的子女办理补登（二者只能选一）")
DUE_PASSED = _("预产期 %(due)s 已过：孩子出生后请按补登办理（选择已出生的子女）")
DUE_TOO_FAR = _("预产期 %(due)s 距今超过 %(days)s 日（规则：预产期范围）")
CHILD_NOT_JOINT = _("%(name)s不计入这对夫妻的孩次：%(why)s（规则：补登的子女须为夫妻共同子女）")
COMMITMENT_REQUIRED = _("申请人须签署承诺书（规则：承诺）")
REASON_REQUIRED = _("注销必须选择原因")
NOTE_REQUIRED = _("注销原因为“其他”时必须写明说明")

# --- state (Conflict: 409) ------------------------------------------------------------------
ALREADY_REGISTERED = _("这对夫妻的第 %(order)s 孩已办理生育登记（编号 %(number)s），不能重复登记")
NOT_APPLIED = _("只有已受理、未登记的申请可以登记发证")
NOT_CANCELLABLE = _("该生育登记已注销")
NO_MISMATCH = _("该生育登记没有待核对的出生记录")
CHILD_LINKED_ELSEWHERE = _("该子女已关联到另一份生育登记")
STALE = _("该记录已被他人修改，请刷新后重试")

# --- a recorded birth that does not match an awaiting registration (shown, not refused) ---
MISMATCH_PARENTS = _("出生登记的父母与本生育登记的夫妻不同")
MISMATCH_ORDER = _("本登记为第 %(registered)s 孩，出生登记推算为第 %(born)s 孩")

# --- 光荣证 ----------------------------------------------------------------------------------
NOT_ELIGIBLE = _("不符合申领条件：%(reasons)s")
CHILD_NOT_VISIBLE = _("该子女不在您的辖区内或不在库中（先建立再办理）")
COMMENT_REQUIRED = _("不予通过时必须写明意见")
HONOUR_EXISTS = _("这对夫妻已为该子女申领过光荣证（%(number)s），不能重复申领")
NOT_AT_TOWNSHIP = _("只有村级已受理的申请可以由乡镇审核")
NOT_AT_COUNTY = _("只有乡镇已审核的申请可以由县级审批")
NOT_REVOCABLE = _("只有已发证的光荣证可以撤销")
REVOKE_REASON_REQUIRED = _("撤销必须选择原因")
