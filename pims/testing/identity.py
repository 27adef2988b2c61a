"""Test helpers for the travelling records' UUIDs (pims.lib.identity)."""

import uuid

from django.apps import apps

from pims.lib.identity import TravellingRecord


def travelling_models() -> list:
    """Every installed model that carries a travelling UUID."""
    return [m for m in apps.get_models() if issubclass(m, TravellingRecord)]


def uuids_by_model() -> dict[str, list[uuid.UUID]]:
    return {m._meta.label: list(m.objects.values_list("uuid", flat=True)) for m in travelling_models()}


def assert_uuids_whole() -> int:
    """Every travelling row has a version-4 UUID of its own, unique across all
    the travelling tables (a bundle names records by UUID alone); returns
    how many rows were checked."""
    seen: dict[uuid.UUID, str] = {}
    for label, values in uuids_by_model().items():
        for value in values:
            assert isinstance(value, uuid.UUID) and value.version == 4, (label, value)
            assert value not in seen, f"{label} reuses the UUID {value} of a {seen[value]}"
            seen[value] = label
    return len(seen)
