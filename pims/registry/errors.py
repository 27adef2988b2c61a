from django.utils.translation import gettext_lazy as _


class RegistryError(Exception):
    """A domain error with a message fit for the user."""


class ConflictError(RegistryError):
    def __init__(self):
        super().__init__(
            _(
                "该户已被其他用户修改。为避免覆盖他人的修改，本次保存未生效；您填写的内容仍保留在页面上，请刷新查看最新内容后重新录入。"
            )
        )


class StateError(RegistryError):
    pass


class PermissionDenied(RegistryError):
    pass
