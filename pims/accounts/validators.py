from django.contrib.auth import password_validation
from django.utils.translation import gettext as _


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's length check with a Chinese message.

    Django 5.2 changed this message's msgid (``%d`` instead of
    ``%(min_length)d``) but its zh_Hans catalog still carries the old one, so
    the stock validator answers in English. Use this class in
    AUTH_PASSWORD_VALIDATORS instead of Django's.
    """

    def get_error_message(self) -> str:
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
