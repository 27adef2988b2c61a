"""Encryption of backup files with age (X25519), through pyrage.

A backup is encrypted to the public keys in settings.BACKUP_RECIPIENTS; only
the matching private key (the *backup identity*, kept offline in the key safe)
can read it. The backup key is not the field-encryption key: a stolen backup
and a stolen server hold different secrets, and the server itself cannot read
its backups. age authenticates every chunk, so a changed byte makes
decryption fail instead of restoring damaged data.
"""

from pathlib import Path

import pyrage
from django.conf import settings
from django.utils.translation import gettext as _
from pyrage import x25519

from pims.lib.errors import Refused
from pims.lib.private_files import create_private

SCHEME = "age-x25519"
SUFFIX = ".age"


class SealingError(Refused):
    """A backup that cannot be encrypted or opened (message for the operator)."""


def recipients() -> list:
    if not settings.BACKUP_RECIPIENTS:
        raise SealingError(
            _(
                "未设置 BACKUP_RECIPIENTS：备份必须加密。先用 manage.py backup_keygen 生成备份密钥对（docs/operator/keys.md）"
            )
        )
    return [x25519.Recipient.from_str(text) for text in settings.BACKUP_RECIPIENTS]


def seal_stream(source, path: Path) -> None:
    """Encrypt everything read from `source` (a binary file object) into the new file `path` (0600)."""
    with create_private(path) as out:
        pyrage.encrypt_io(source, out, recipients())


def open_identities(path: Path | str | None) -> list:
    """The private keys of an identity file written by `backup_keygen` (or `age-keygen`)."""
    if not path:
        raise SealingError(_("恢复需要备份私钥文件：--identity FILE 或 BACKUP_IDENTITY_FILE"))
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise SealingError(
            _("无法读取备份私钥文件 %(path)s：%(error)s") % {"path": path, "error": exc.strerror}
        ) from None
    keys = [line.strip() for line in lines if line.strip().startswith("AGE-SECRET-KEY-")]
    if not keys:
        raise SealingError(_("%(path)s 中没有备份私钥（AGE-SECRET-KEY-…）") % {"path": path})
    try:
        return [x25519.Identity.from_str(key) for key in keys]
    except Exception:  # pyrage.IdentityError
        raise SealingError(_("%(path)s 中的备份私钥格式不对") % {"path": path}) from None


def unseal_stream(path: Path, sink, identities: list) -> None:
    """Decrypt the file `path` into `sink`; a wrong key or a changed byte raises SealingError."""
    with open(path, "rb") as source:
        try:
            pyrage.decrypt_io(source, sink, identities)
        except pyrage.DecryptError as exc:
            raise SealingError(
                _("无法解密 %(name)s（%(error)s）：备份私钥不是这份备份的，或文件已损坏")
                % {"name": path.name, "error": exc}
            ) from None
