import csv
import hashlib

from pims.audit.models import AuditEntry
from pims.codes.loader import load_manifest
from pims.codes.models import Code, CodeTable, CodeVersion


def csv_row_count(path) -> int:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return sum(1 for row in list(csv.reader(f))[1:] if any(row))


def manifest_counts() -> dict[str, int]:
    return {spec.key: csv_row_count(spec.file) for spec in load_manifest()}


def db_state() -> tuple:
    rows = Code.objects.order_by("version__table__key", "version__number", "sort").values_list(
        "version__table__key", "version__number", "version__is_current", "code", "name"
    )
    digest = hashlib.sha256(repr(list(rows)).encode()).hexdigest()
    return CodeTable.objects.count(), CodeVersion.objects.count(), AuditEntry.objects.count(), digest
