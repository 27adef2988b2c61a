import ipaddress
from typing import ClassVar, Self

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import ROLES_REQUIRING_2FA, Role


class User(AbstractUser):
    """A user belongs to one region and holds one role (DESIGN.md §2)."""

    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="users"
    )
    full_name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # 专人专机: when set, the user may only sign in from these networks.
    allowed_networks = models.TextField(
        _("允许登录的网络"), blank=True, help_text=_("每行一个 IP 地址或网段（CIDR），留空表示不限制")
    )
    password_changed_at = models.DateTimeField(_("密码修改时间"), null=True, blank=True)

    REQUIRED_FIELDS = ["role", "region"]
    objects: ClassVar[UserManager[Self]] = UserManager()

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def requires_2fa(self) -> bool:
        return self.role in ROLES_REQUIRING_2FA

    def networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        return [
            ipaddress.ip_network(line.strip(), strict=False)
            for line in self.allowed_networks.splitlines()
            if line.strip()
        ]

    def ip_allowed(self, ip: str | None) -> bool:
        nets = self.networks()
        if not nets:
            return True
        if not ip:
            return False
        addr = ipaddress.ip_address(ip)
        return any(addr in net for net in nets)
