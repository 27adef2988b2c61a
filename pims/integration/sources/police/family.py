"""Police extract: what happens to the rest of a household when one of its rows is rejected.

The operator chooses per import (`ImportJob.family_mode`):

* **members** (载入有效成员, the default): the household's valid rows load;
  the household is flagged as incomplete (`ImportJob.incomplete_households`)
  and stays on the importer's work queue until a later import brings in
  its missing rows (the corrected rejected-rows file, imported again);
* **household** (整户暂缓): none of the household's rows load; the other rows
  are rejected with P14, which names the rejected lines, so the whole
  household comes in at once when the corrected file is imported again.

A row is attributed to its household by village code and 户号 as the file
has them (a line that cannot be read at all — P01–P03 — names no household
and holds back nothing). Rows rejected by the register rules after loading
always take their household with them (P08): the form is all-or-nothing too.
"""

from collections import defaultdict

from django.db import connection

from pims.integration.models import ImportJob
from pims.integration.pipeline.job import LOADED, OK, REJECTED
from pims.integration.pipeline.sql import reject
from pims.registry.checks.base import violation


def holds_back(job: ImportJob) -> bool:
    return job.family_mode == ImportJob.FamilyMode.HOUSEHOLD


def _verdicts(rows, rejected_lines: dict) -> list[tuple[int, str, str]]:
    """P14 for each still-accepted row of a household with rejected lines."""
    out = []
    for sid, line, key, number in rows:
        lines = "、".join(str(n) for n in sorted(rejected_lines[key])[:20])
        out.append((sid, "P14", violation("P14", row=line, number=number, lines=lines).message[:4000]))
    return out


def hold_back_staged(cursor, table: str, job: ImportJob) -> int:
    """Stage 1, household mode: reject the accepted rows of every household
    (village code, 户号) that has a rejected row in the file. Returns the count."""
    cursor.execute(
        f"SELECT village_code, number, line FROM {table} WHERE job_id = %s AND state = %s "  # noqa: S608
        f"AND number <> ''",
        [job.pk, REJECTED],
    )
    rejected_lines = defaultdict(set)
    for code, number, line in cursor.fetchall():
        rejected_lines[(code, number)].add(line)
    if not rejected_lines:
        return 0
    cursor.execute(
        f"SELECT id, line, village_code, number FROM {table} WHERE job_id = %s AND state = %s",  # noqa: S608
        [job.pk, OK],
    )
    rows = [
        (sid, line, (code, number), number)
        for sid, line, code, number in cursor.fetchall()
        if (code, number) in rejected_lines
    ]
    reject(cursor, table, _verdicts(rows, rejected_lines), unkey=True)
    return len(rows)


def hold_back_chunk(cursor, table: str, where: str, params: list) -> None:
    """Stage 2, household mode: rows rejected while loading (I09, P10 …)
    hold back the rest of their household (the chunk holds whole households)."""
    cursor.execute(
        f"SELECT st.hh_key, st.line FROM {table} AS st WHERE {where} AND st.state = %s",  # noqa: S608
        [*params, REJECTED],
    )
    rejected_lines = defaultdict(set)
    for key, line in cursor.fetchall():
        rejected_lines[key].add(line)
    if not rejected_lines:
        return
    cursor.execute(
        f"SELECT st.id, st.line, st.hh_key, st.number FROM {table} AS st WHERE {where} AND st.state = %s",  # noqa: S608
        [*params, OK],
    )
    rows = [r for r in cursor.fetchall() if r[2] in rejected_lines]
    reject(cursor, table, _verdicts(rows, rejected_lines))


def incomplete_households(cursor, table: str, job: ImportJob) -> list[int]:
    """Members mode: the households that got rows of this file while other
    rows of theirs (same village code and 户号) were rejected."""
    cursor.execute(
        f"SELECT DISTINCT ok.household_id FROM {table} AS ok JOIN {table} AS bad ON bad.job_id = ok.job_id "  # noqa: S608
        f"AND bad.state = %s AND bad.village_code = ok.village_code AND bad.number = ok.number "
        f"WHERE ok.job_id = %s AND ok.state = %s AND ok.household_id IS NOT NULL AND bad.number <> ''",
        [REJECTED, job.pk, LOADED],
    )
    return sorted(r[0] for r in cursor.fetchall())


def loaded_households(cursor, table: str, job: ImportJob) -> set[int]:
    cursor.execute(
        f"SELECT DISTINCT household_id FROM {table} WHERE job_id = %s AND state = %s",  # noqa: S608
        [job.pk, LOADED],
    )
    return {r[0] for r in cursor.fetchall()}


def clear_completed(job: ImportJob, completed: set[int]) -> None:
    """Earlier imports' incomplete households that this import brought rows
    to, with none of its own rows of theirs rejected, are complete now."""
    if not completed:
        return
    for other in ImportJob.objects.filter(kind="police").exclude(pk=job.pk).exclude(incomplete_households=[]):
        left = [h for h in other.incomplete_households if h not in completed]
        if left != other.incomplete_households:
            other.incomplete_households = left
            other.save(update_fields=["incomplete_households", "updated_at"])


def finish_family(job: ImportJob, table: str) -> None:
    """At the end of the run (inside its transaction): flag this import's
    incomplete households and clear the earlier ones it completed."""
    with connection.cursor() as cursor:
        loaded = loaded_households(cursor, table, job)
        job.incomplete_households = [] if holds_back(job) else incomplete_households(cursor, table, job)
    clear_completed(job, loaded - set(job.incomplete_households))
