"""Stage 'check': the register rules once over the households an import touched."""

from collections import Counter, defaultdict

from django.db import connection
from django.db.models import ForeignObjectRel
from django.db.models.expressions import RawSQL

from pims.events.models import Event, Spell
from pims.integration.bulk import adapt_value, quote
from pims.integration.models import ImportJob
from pims.integration.pipeline.job import (
    LOADED,
    merged,
)
from pims.integration.pipeline.sql import LINE_RE, ROW, reject
from pims.registry.checks.base import Severity, Violation, violation
from pims.registry.checks.register_rules import set_based
from pims.registry.checks.runner import check_households
from pims.registry.models import Birth, Household, Marriage, Person

CHECK_TABLE = "pims_import_households"


class RegisterCheck:
    """Every register rule once over the households this import added
    people to (one statement per rule, as the batch check runs them, instead
    of once per chunk). A household with an error loses this import's rows
    again and they are rejected with the rule's message (P08 for the other
    members): the form is all-or-nothing per household too. Runs inside the
    caller's transaction."""

    def __init__(self, job: ImportJob, table: str):
        self.job, self.t = job, table
        self.P, self.H = quote(Person._meta.db_table), quote(Household._meta.db_table)

    def run(self) -> None:
        job, t = self.job, self.t
        with connection.cursor() as cur:
            if not self._household_set(cur):
                return
            with set_based():
                found = check_households(RawSQL(f"SELECT id FROM {CHECK_TABLE}", []))  # noqa: S608, S611  (a constant name)
            cur.execute(f"DROP TABLE {CHECK_TABLE}")
            errors: defaultdict[int, list[Violation]] = defaultdict(list)
            warnings: Counter[str] = Counter()
            for v in found:
                if v.severity == Severity.ERROR:
                    assert v.household_id is not None  # a stored household's rule hit
                    errors[v.household_id].append(v)
            for v in found:
                if v.severity != Severity.ERROR and v.household_id not in errors:
                    warnings[v.rule_id] += 1
            job.warnings = merged(job.warnings, warnings)
            if not errors:
                return
            members: defaultdict[int, list[tuple]] = defaultdict(list)
            ids = sorted(errors)
            for i in range(0, len(ids), 500):
                part = ids[i : i + 500]
                cur.execute(
                    f"SELECT id, line, household_id, person_id, {ROW}, number FROM {t} WHERE job_id = %s "  # noqa: S608
                    f"AND state = %s AND household_id IN ({', '.join(['%s'] * len(part))})",
                    [job.pk, LOADED, *part],
                )
                for row in cur.fetchall():
                    members[row[2]].append(row)
            verdicts: list[tuple[int, str, str]] = []
            drop_persons: list[int] = []
            for hh, violations in errors.items():
                line_of_row = {r[4]: r[1] for r in members[hh]}
                # Messages name the file line instead of the household row.
                texts = [file_line(v.message, line_of_row) for v in violations]
                summary = "；".join(dict.fromkeys(texts))
                for sid, line, _hh, pid, _row, number in members[hh]:
                    own = [(v, text) for v, text in zip(violations, texts, strict=True) if v.person_id in (pid, None)]
                    if any(v.person_id == pid for v, _ in own):
                        rules = ",".join(dict.fromkeys(v.rule_id for v, _ in own))
                        verdicts.append((sid, rules, "；".join(text for _, text in own)[:4000]))
                    else:
                        msg = violation("P08", row=line, number=number, reasons=summary).message
                        rules = ",".join(["P08", *dict.fromkeys(v.rule_id for v in violations)])
                        verdicts.append((sid, rules[:200], msg[:4000]))
                    drop_persons.append(pid)
            job.households_created -= self._unload(cur, sorted(drop_persons), ids)
            reject(cur, t, verdicts)
            cur.executemany(
                f"UPDATE {t} SET person_id = NULL WHERE id = %s",  # noqa: S608
                [(sid,) for sid, _r, _m in verdicts],
            )
            job.rows_loaded -= len(verdicts)
            job.rows_rejected += len(verdicts)

    def _household_set(self, cur) -> int:
        """The import's households as a small table of their own: the rules'
        planner estimates stay right whatever the size of the import."""
        cur.execute(f"DROP TABLE IF EXISTS {CHECK_TABLE}")
        cur.execute(f"CREATE TEMPORARY TABLE {CHECK_TABLE} (id bigint PRIMARY KEY)")
        cur.execute(
            f"INSERT INTO {CHECK_TABLE} (id) SELECT DISTINCT household_id FROM {self.t} "  # noqa: S608
            f"WHERE job_id = %s AND state = %s",
            [self.job.pk, LOADED],
        )
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {CHECK_TABLE}")
        cur.execute(f"SELECT COUNT(*) FROM {CHECK_TABLE}")  # noqa: S608
        n = cur.fetchone()[0]
        if not n:
            cur.execute(f"DROP TABLE {CHECK_TABLE}")
        return n

    def _unload(self, cur, person_ids: list[int], households: list[int]) -> int:
        P, H = self.P, self.H
        for i in range(0, len(person_ids), 500):
            ids = person_ids[i : i + 500]
            marks = ", ".join(["%s"] * len(ids))
            cur.execute(f"DELETE FROM {quote(Spell._meta.db_table)} WHERE person_id IN ({marks})", ids)  # noqa: S608
            cur.execute(f"DELETE FROM {quote(Event._meta.db_table)} WHERE person_id IN ({marks})", ids)  # noqa: S608
            b = quote(Birth._meta.db_table)
            cur.execute(
                f"DELETE FROM {b} WHERE child_id IN ({marks}) OR mother_id IN ({marks}) OR father_id IN ({marks})",  # noqa: S608
                ids * 3,
            )
            m = quote(Marriage._meta.db_table)
            cur.execute(f"DELETE FROM {m} WHERE husband_id IN ({marks}) OR wife_id IN ({marks})", ids * 2)  # noqa: S608
            cur.execute(f"UPDATE {H} SET head_id = NULL WHERE head_id IN ({marks})", ids)  # noqa: S608
            cur.execute(f"DELETE FROM {P} WHERE id IN ({marks})", ids)  # noqa: S608
        # A household this import created is left with nothing pointing at
        # it (members, events, spells, …) and is removed again; one that was
        # there before the import keeps whatever it had.
        unused = " ".join(
            f"AND NOT EXISTS (SELECT 1 FROM {quote(rel.field.model._meta.db_table)} AS x "  # noqa: S608
            f"WHERE x.{quote(rel.field.column)} = {H}.id)"
            for rel in Household._meta.get_fields(include_hidden=True)
            if isinstance(rel, ForeignObjectRel) and rel.one_to_many and rel.auto_created and rel.field.concrete
        )
        deleted = 0
        for i in range(0, len(households), 500):
            ids = households[i : i + 500]
            cur.execute(
                f"DELETE FROM {H} WHERE id IN ({', '.join(['%s'] * len(ids))}) AND created_at >= %s {unused}",  # noqa: S608
                [*ids, adapt_value(self.job.started_at)],
            )
            deleted += max(cur.rowcount, 0)
        return deleted


def file_line(message: str, line_of_row: dict[int, int]) -> str:
    m = LINE_RE.search(message)
    if m and int(m[1]) in line_of_row:
        return message[: m.start()] + f"第 {line_of_row[int(m[1])]} 行" + message[m.end() :]
    return message
