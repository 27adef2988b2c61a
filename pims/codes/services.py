"""Writes to the code manual. A table's content is never changed in place:
each change is a new CodeVersion that becomes current, the old one is kept."""

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from pims.audit.models import Action
from pims.audit.services import audit_record
from pims.lib.errors import Conflict

from . import selectors
from .loader import CodeRow, TableSpec, check_rows, pinyin_initials, rows_checksum
from .models import Code, CodeTable, CodeVersion


class StaleVersion(Conflict):
    """The table got a new version since the editor opened it."""


def code_table_new_version(
    *,
    actor,
    table: CodeTable,
    rows: list[CodeRow],
    note: str,
    source_file: str = "",
    base_number: int | None = None,
    action: str = Action.UPDATE,
    detail: dict | None = None,
) -> CodeVersion | None:
    """Make `rows` the current content of `table`; return the new version, or
    None when the content equals the current version (nothing is written).

    `base_number` is the version the editor started from: if another version
    became current meanwhile, StaleVersion is raised instead of overwriting it.
    """
    check_rows(rows, table.key)
    checksum = rows_checksum(rows)
    with transaction.atomic():
        # Locking the table row serialises concurrent new versions of one table.
        table = CodeTable.objects.select_for_update().get(pk=table.pk)
        current = table.versions.filter(is_current=True).first()
        if base_number is not None and (current.number if current else 0) != base_number:
            raise StaleVersion(_("代码表已有更新的版本，请重新打开后再编辑"))
        if current and current.checksum == checksum:
            return None
        version = _create_version(actor, table, rows, note, source_file, checksum, current)
        audit_record(
            actor=actor,
            action=action,
            obj=version,
            username="" if actor else "manage.py load_codes",
            detail={
                "table": table.key,
                "version": version.number,
                "codes": len(rows),
                "checksum": checksum,
                "source_file": source_file,
                **(detail or {}),
            },
        )
        transaction.on_commit(selectors.code_cache_clear)
    return version


def _create_version(actor, table, rows, note, source_file, checksum, current) -> CodeVersion:
    number = (table.versions.aggregate(n=Max("number"))["n"] or 0) + 1
    if current is not None:
        current.is_current = False
        current.save(update_fields=["is_current"])
    version = CodeVersion.objects.create(
        table=table,
        number=number,
        is_current=True,
        note=note[:300],
        source_file=source_file,
        checksum=checksum,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    Code.objects.bulk_create(
        Code(
            version=version,
            code=row.code,
            name=row.name,
            name_en=row.name_en,
            initials=pinyin_initials(row.name),
            extra=row.extra,
            sort=index,
        )
        for index, row in enumerate(rows, start=1)
    )
    return version


def _table_sync(spec: TableSpec) -> tuple[CodeTable, list[str]]:
    """Create the table or bring its description in line with the manifest;
    returns the names of the fields that changed (audited by the caller)."""
    wanted = {"name": spec.name, "standard": spec.standard, "source": spec.source}
    table, created = CodeTable.objects.get_or_create(key=spec.key, defaults=wanted)
    if created:
        return table, ["created"]
    changed = [field for field, value in wanted.items() if getattr(table, field) != value]
    for field in changed:
        setattr(table, field, wanted[field])
    if changed:
        table.save(update_fields=changed)
    return table, changed


def codes_load(*, actor, tables: list[tuple[TableSpec, list[CodeRow]]]) -> list[tuple[str, CodeVersion | None]]:
    """Load already-parsed tables in one transaction; one audit entry per changed table.
    Returns (key, new version or None when unchanged) per table."""
    results = []
    with transaction.atomic():
        for spec, rows in tables:
            table, meta_changed = _table_sync(spec)
            version = code_table_new_version(
                actor=actor,
                table=table,
                rows=rows,
                note=_("从文件导入"),
                source_file=spec.file.name,
                action=Action.LOAD,
                detail={"metadata": meta_changed} if meta_changed else None,
            )
            if version is None and meta_changed:
                audit_record(
                    actor=actor,
                    action=Action.LOAD,
                    obj=table,
                    username="" if actor else "manage.py load_codes",
                    detail={"table": table.key, "metadata": meta_changed},
                )
            results.append((spec.key, version))
    return results
