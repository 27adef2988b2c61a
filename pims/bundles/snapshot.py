"""The de-identified national snapshot of a county (issue 19.5, DESIGN.md §6).

One folder per county, ``<root>/<county code>/``, with three Parquet files and
a manifest; no names, no ID or phone numbers, no addresses, no exact dates of
birth. Persons and events are named by a *pseudonym*: a keyed hash (HMAC with
the province's blind-index key) of the record's UUID — stable from one
snapshot to the next, so a national reader can follow a person over time,
but not reversible without the province's key. Dates are year-months.
The layout is in docs/national-snapshot.md; `population_by_county` is the
reference reader (DuckDB over every county's files at once).
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from pims.events.models import Event, Spell
from pims.lib import clock, crypto
from pims.registry.models import Person

LAYOUT_VERSION = 1

PERSONS = (
    "person_key VARCHAR, sex VARCHAR, birth_ym VARCHAR, ethnicity VARCHAR, hukou_type VARCHAR, "
    "registered_code VARCHAR, residence_code VARCHAR, responsible_code VARCHAR, status VARCHAR, death_ym VARCHAR"
)
SPELLS = (
    "person_key VARCHAR, kind VARCHAR, region_code VARCHAR, start_ym VARCHAR, end_ym VARCHAR, "
    "open_reason VARCHAR, close_reason VARCHAR, open_period VARCHAR, close_period VARCHAR"
)
EVENTS = (
    "event_key VARCHAR, person_key VARCHAR, event_type VARCHAR, region_code VARCHAR, effective_ym VARCHAR, "
    "approved_period VARCHAR"
)


def pseudonym(kind: str, value) -> str:
    return crypto.blind_index(f"snapshot-{kind}", str(value))[:32]


def _ym(day) -> str | None:
    return f"{day.year:04d}-{day.month:02d}" if day else None


def _person_rows(prefix: str):
    for p in Person.objects.filter(responsible_code__startswith=prefix).order_by("pk").iterator(chunk_size=5000):
        yield (
            pseudonym("person", p.uuid),
            p.sex,
            _ym(p.birth_date),
            p.ethnicity,
            p.hukou_type,
            p.registered_code,
            p.residence_code,
            p.responsible_code,
            p.status,
            _ym(p.death_date),
        )


def _spell_rows(prefix: str):
    spells = Spell.objects.filter(person__responsible_code__startswith=prefix).select_related("person")
    for s in spells.order_by("pk").iterator(chunk_size=5000):
        yield (
            pseudonym("person", s.person.uuid),
            s.kind,
            s.region_code,
            _ym(s.start),
            _ym(s.end),
            s.open_reason,
            s.close_reason,
            s.open_period,
            s.close_period,
        )


def _event_rows(prefix: str):
    events = Event.objects.filter(region_code__startswith=prefix, review_status=Event.Review.APPROVED).select_related(
        "person"
    )
    for e in events.order_by("pk").iterator(chunk_size=5000):
        yield (
            pseudonym("event", e.uuid),
            pseudonym("person", e.person.uuid) if e.person is not None else None,
            e.event_type,
            e.region_code,
            _ym(e.effective_date),
            e.approved_period,
        )


def _write(con, name: str, columns: str, rows, path: Path, batch: int = 5000) -> int:
    # `name` and `columns` are this module's constants; the path is ours, quoted.
    con.execute(f"CREATE TABLE {name} ({columns})")
    placeholders = ", ".join("?" for _ in columns.split(","))
    insert = f"INSERT INTO {name} VALUES ({placeholders})"  # noqa: S608
    chunk: list[tuple] = []
    n = 0
    for row in rows:
        chunk.append(row)
        if len(chunk) >= batch:
            con.executemany(insert, chunk)
            n += len(chunk)
            chunk = []
    if chunk:
        con.executemany(insert, chunk)
        n += len(chunk)
    target = str(path).replace("'", "''")
    con.execute(f"COPY {name} TO '{target}' (FORMAT parquet, COMPRESSION zstd)")
    return n


def write_snapshot(county_code: str, root: Path) -> dict:
    """Write the county's snapshot under `root`; return its manifest."""
    prefix = county_code[:6]
    folder = Path(root) / county_code
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        counts = {
            "persons": _write(con, "persons", PERSONS, _person_rows(prefix), folder / "persons.parquet"),
            "spells": _write(con, "spells", SPELLS, _spell_rows(prefix), folder / "spells.parquet"),
            "events": _write(con, "events", EVENTS, _event_rows(prefix), folder / "events.parquet"),
        }
    finally:
        con.close()
    manifest = {
        "layout_version": LAYOUT_VERSION,
        "county_code": county_code,
        "as_of": clock.today().isoformat(),
        "rows": counts,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2))
    return manifest


def population_by_county(
    root: Path, *, kind: str = "registered", on_ym: str | None = None
) -> dict[tuple[str, str], int]:
    """The reference reader: persons with an open spell of `kind` at the end of
    month `on_ym` (default: still open), per county code and sex, read from
    every county's files under `root` in one DuckDB query."""
    spells = str(Path(root) / "*" / "spells.parquet")
    persons = str(Path(root) / "*" / "persons.parquet")
    ended = "s.end_ym IS NULL" if on_ym is None else "(s.end_ym IS NULL OR s.end_ym > ?) AND s.start_ym <= ?"
    sql = f"""
        SELECT substr(s.region_code, 1, 6) || '000000' AS county, p.sex, count(DISTINCT s.person_key) AS n
        FROM read_parquet(?) s JOIN read_parquet(?) p USING (person_key)
        WHERE s.kind = ? AND {ended}
        GROUP BY 1, 2 ORDER BY 1, 2
    """  # noqa: S608 (`ended` is one of two constants; values are parameters)
    params = [spells, persons, kind] + ([on_ym, on_ym] if on_ym else [])
    with duckdb.connect() as con:
        return {(county, sex): n for county, sex, n in con.execute(sql, params).fetchall()}
