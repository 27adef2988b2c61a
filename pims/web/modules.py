"""The five modules of the navigation and the functions each offers.

Each app adds its entries to a module by appending to `MODULES[...]["items"]`
in its AppConfig.ready(), or they are listed here directly; an item names the
URL, the capability it needs (None: any signed-in user) and its title.
"""

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from pims.accounts.roles import Cap, has_capability


@dataclass
class Item:
    title: str | Promise
    url_name: str
    cap: str | None = None
    description: str | Promise = ""


@dataclass
class Module:
    key: str
    title: str | Promise
    items: list[Item] = field(default_factory=list)


MODULES: dict[str, Module] = {
    "registry": Module("registry", _("基础信息管理")),
    "services": Module("services", _("优质服务")),
    "query": Module("query", _("信息查询")),
    "stats": Module("stats", _("统计分析")),
    "system": Module("system", _("系统管理")),
}

MODULES["system"].items += [
    Item(_("代码手册"), "codes:table_list", None, _("查看国家标准与本系统定义的代码表")),
    Item(_("行政区划"), "regions:browse", None, _("浏览本辖区的行政区划树及其变更记录")),
    Item(_("审计日志"), "audit:entry_list", Cap.READ_AUDIT, _("按用户、操作、对象和日期查看审计记录")),
    Item(_("角色与权限"), "web:role_list", Cap.MANAGE_USERS, _("各角色的所属层级、双因素认证和功能权限（只读）")),
]


def register_item(module: str, item: Item) -> None:
    if all(existing.url_name != item.url_name for existing in MODULES[module].items):
        MODULES[module].items.append(item)


def items_for(user, module: Module) -> list[dict]:
    out = []
    for item in module.items:
        if item.cap is not None and not has_capability(user, item.cap):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        out.append({"title": item.title, "url": url, "description": item.description})
    return out
