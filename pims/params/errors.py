"""Errors of the parameter table. Messages are fit for the user (Chinese)."""


class ParameterError(Exception):
    """A parameter request or amendment that cannot be honoured."""


class UnknownParameter(ParameterError, LookupError):
    def __init__(self, key: str):
        self.key = key
        super().__init__(f"参数“{key}”不存在（参数表未载入时请运行 manage.py load_params）")


class NoValueInForce(ParameterError, LookupError):
    def __init__(self, key: str, day):
        self.key, self.day = key, day
        super().__init__(f"参数“{key}”在 {day} 没有有效的取值")


class AmendmentRefused(ParameterError):
    """The amendment breaks a rule of the table; nothing was written.
    `field` names the form field the message is about ("" = the whole form)."""

    def __init__(self, message: str, field: str = ""):
        self.field = field
        super().__init__(message)


class PermissionDenied(ParameterError):
    pass
