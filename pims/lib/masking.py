"""Masking of personal values for lists and logs."""

from .citizen_id import mask_citizen_id

__all__ = ["mask_citizen_id", "mask_phone"]


def mask_phone(phone: str) -> str:
    """``13812345678`` → ``138****5678``; short numbers keep their last 4."""
    digits = phone or ""
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return "*" * len(digits)
