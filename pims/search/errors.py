"""The search app's refusals and their messages (kinds: pims.lib.errors)."""

from django.utils.translation import gettext_lazy as _

# NotPermitted (404)
ROLE_CANNOT_SAVE = _("您的角色不能保存查询")
NOT_YOUR_QUERY = _("只能删除自己的查询")
ROLE_CANNOT_EXPORT = _("您的角色不能导出")
# Invalid (422)
QUERY_NAME_INVALID = _("请填写查询名称（不超过 60 个字）")
QUERY_BY_ID_NOT_SAVED = _("按公民身份号码的查询不能保存")
EXPORT_FORMAT_INVALID = _("导出格式只能是 CSV 或 Excel")
EXPORT_TOO_MANY = _("查询结果共 %(count)s 人，超过您的角色每次最多导出 %(limit)s 人的限制，请缩小查询条件。")
# Conflict (409)
QUERY_NAME_RACE = _("同名查询刚被保存，请重试")
