"""Errors of the parameter table (kinds: pims.lib.errors). Messages are fit
for the user (Chinese)."""

from pims.lib.errors import Failure, Invalid, Problem


class UnknownParameter(Failure, LookupError):
    """Code asked for a key the table does not define: a fault of the installation."""

    def __init__(self, key: str):
        self.key = key
        super().__init__(f"参数“{key}”不存在（参数表未载入时请运行 manage.py load_params）")


class NoValueInForce(Failure, LookupError):
    """No row of the table covers the day: the table must be completed."""

    def __init__(self, key: str, day):
        self.key, self.day = key, day
        super().__init__(f"参数“{key}”在 {day} 没有有效的取值")


class AmendmentRefused(Invalid):
    """The amendment breaks a rule of the table; nothing was written.
    `field` names the form field the message is about ("" = the whole form)."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message, problems=[Problem(message=message, field=field)])


AMEND_NOT_YOURS = "只有系统管理员可以修订政策参数"  # NotPermitted (404)
