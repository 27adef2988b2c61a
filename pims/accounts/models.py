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
    # 专人专机 (issue 14.12): when on, the user may sign in only from a device
    # the county administrator enrolled for the account (accounts.Device),
    # besides the networks above.
    device_binding = models.BooleanField(_("须在登记的专用设备上登录"), default=False, db_default=False)

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


class AccountApproval(models.Model):
    """A change that gives an account access to personal data (or user
    management) waits here for a second person (four-eyes, issue 14.1): the
    creation or re-enabling of such an account, or a promotion into a role
    or region with more access. It takes effect when someone other than the
    requester, who could have made the change themselves, approves it."""

    class Kind(models.TextChoices):
        CREATE = "create", _("新建账户")
        REACTIVATE = "reactivate", _("重新启用")
        PROMOTE = "promote", _("变更角色或区划")

    class State(models.TextChoices):
        PENDING = "pending", _("待批准")
        APPROVED = "approved", _("已批准")
        REFUSED = "refused", _("已驳回")

    user = models.ForeignKey(User, verbose_name=_("账户"), on_delete=models.CASCADE, related_name="approvals")
    kind = models.CharField(_("申请事项"), max_length=12, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    # For a promotion: the role and region the account gets on approval.
    role = models.CharField(_("申请角色"), max_length=20, choices=Role.choices)
    region = models.ForeignKey("regions.Region", verbose_name=_("申请区划"), on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(
        User, verbose_name=_("申请人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("申请时间"))
    decided_by = models.ForeignKey(
        User, verbose_name=_("批准人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("账户权限审批")
        verbose_name_plural = _("账户权限审批")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(state="pending"), name="accounts_one_pending_approval"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.user_id} ({self.state})"


class Device(models.Model):
    """A browser enrolled as an account's dedicated machine (专人专机, issue
    14.12). The browser holds a long-lived signed credential (a cookie,
    pims.accounts.devices) naming this row and a random secret, of which only
    the SHA-256 is stored here: neither a database reader nor a copied
    cookie of another account can sign in. Revoked rows stay, for the record."""

    user = models.ForeignKey(User, verbose_name=_("账户"), on_delete=models.CASCADE, related_name="devices")
    label = models.CharField(_("设备名称"), max_length=60)
    secret_hash = models.CharField(max_length=64)
    enrolled_at = models.DateTimeField(_("登记时间"))
    enrolled_by = models.ForeignKey(
        User, verbose_name=_("登记人"), null=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, verbose_name=_("撤销人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        verbose_name = _("专用设备")
        verbose_name_plural = _("专用设备")
        ordering = ["-enrolled_at"]

    def __str__(self) -> str:
        return f"{self.label} ({self.user_id})"
