"""Test helpers shared by the synth and integration tests."""

from dataclasses import replace

from django.db import DataError


def load_code_tables() -> None:
    """The bundled code manual, table by table. One bundled English name is
    longer than Code.name_en's 100 characters (occupation group 1), which
    PostgreSQL refuses; such names are cut for the test database only
    (reported to the codes owner)."""
    from pims.codes.loader import load_manifest, parse_code_file
    from pims.codes.services import codes_load

    for spec in load_manifest():
        rows = parse_code_file(spec.file)
        try:
            codes_load(actor=None, tables=[(spec, rows)])
        except DataError:
            codes_load(actor=None, tables=[(spec, [replace(r, name_en=r.name_en[:100]) for r in rows])])
