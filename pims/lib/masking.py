"""Masking of personal values for lists and logs."""

from .citizen_id import mask_citizen_id

__all__ = ["mask_citizen_id", "mask_id_public", "mask_name", "mask_phone"]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; short numbers keep their last 4."""
    digits = phone or ""
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)


def mask_name(name: str) -> str:
    """``张小丽`` → ``张*丽``, ``张丽`` → ``张*``: a public page shows no more."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_public(masked: str) -> str:
    """A citizen ID (or its list mask) as a public page shows it: the first 4
    and last 4 characters, ``2101**********0018``."""
    if not masked or len(masked) <= 8:
        return "*" * len(masked or "")
    return masked[:4] + "*" * (len(masked) - 8) + masked[-4:]
