"""Police extract, stages 'match' and 'load': one chunk of households, set-based."""

from collections import Counter
from typing import TYPE_CHECKING

from django.db import connection
from django.utils import timezone

from pims.events.models import Event, EventType, Spell
from pims.events.periods import period_of
from pims.events.spell_attrs import PERSON_ATTRS
from pims.integration.bulk import TableWriter, adapt_value, quote
from pims.integration.pipeline.job import (
    LOADED,
    OK,
    PRESENT,
)
from pims.integration.pipeline.sql import ROW, SqlExpr, insert_select, reject
from pims.integration.sources.police import family
from pims.regions.models import Region
from pims.regions.scope import code_in_scope
from pims.registry.checks.base import violation
from pims.registry.models import Birth, FormState, Household, Marriage, Person

if TYPE_CHECKING:
    from pims.integration.sources.police.run import Runner

CHUNK_TABLE = "pims_import_chunk"


class Chunk:
    """One chunk of households. Its staged rows are first copied into a
    temporary table (not WAL-logged, no indexes but one): the statements
    below update every row several times (household, row number, person,
    state), which on the wide, indexed staging table cost more than the
    inserts into the register. The rows' outcome goes back to the staging
    table in one UPDATE at the end, in the same transaction."""

    def __init__(self, runner: "Runner", first: int, last: int):
        self.runner, self.job = runner, runner.job
        self.staging = runner.table
        self.t = CHUNK_TABLE
        self.first, self.last = first, last
        self.where = "st.job_id = %s AND st.hh_key BETWEEN %s AND %s"
        self.wp = [self.job.pk, first, last]
        moment = timezone.now()
        self.now = adapt_value(moment)
        self.period = period_of(timezone.localdate(moment))
        self.actor_id = getattr(runner.actor, "pk", None)
        self.P = quote(Person._meta.db_table)
        self.H = quote(Household._meta.db_table)

    def _exec(self, cursor, sql, params=()):
        cursor.execute(sql, list(params))
        return cursor

    def run(self) -> Counter:
        t, w, wp = self.t, self.where, self.wp
        with connection.cursor() as cur:
            self._copy_in(cur)
            self._attach_households(cur)
            existing = {
                r[0]
                for r in self._exec(
                    cur,
                    f"SELECT DISTINCT st.household_id FROM {t} AS st WHERE {w} "  # noqa: S608
                    f"AND st.state = %s AND st.household_id IS NOT NULL",
                    [*wp, OK],
                )
            }
            self._not_approved(cur)
            self._present(cur)
            self._conflicts(cur)
            if family.holds_back(self.job):
                family.hold_back_chunk(cur, t, w, wp)
            self._create_households(cur)
            self._number_rows(cur)
            self._insert_persons(cur)
            self._family(cur)
            self._heads(cur)
            self._baseline(cur)
            counts = Counter(
                dict(
                    self._exec(
                        cur,
                        f"SELECT st.state, COUNT(*) FROM {t} AS st WHERE {w} "  # noqa: S608
                        f"GROUP BY st.state",
                        wp,
                    ).fetchall()
                )
            )
            kept = {
                r[0]
                for r in self._exec(
                    cur,
                    f"SELECT DISTINCT st.household_id FROM {t} AS st WHERE {w} "  # noqa: S608
                    f"AND st.state = %s",
                    [*wp, LOADED],
                )
            }
            counts["households"] = len(kept - existing)
            self._copy_back(cur)
        return counts

    def _copy_in(self, cur) -> None:
        cur.execute(f"DROP TABLE IF EXISTS {CHUNK_TABLE}")
        cur.execute(
            f"CREATE TEMPORARY TABLE {CHUNK_TABLE} AS SELECT * FROM {self.staging} AS st "  # noqa: S608
            f"WHERE {self.where} AND st.state = %s",
            [*self.wp, OK],
        )
        cur.execute(f"CREATE INDEX {CHUNK_TABLE}_id ON {CHUNK_TABLE} (id)")
        if connection.vendor == "postgresql":
            cur.execute(f"ANALYZE {CHUNK_TABLE} (job_id, hh_key, state, household_id, id_index, relationship)")

    def _copy_back(self, cur) -> None:
        cur.execute(
            f"UPDATE {self.staging} SET state = c.state, rule_ids = c.rule_ids, reasons = c.reasons, "  # noqa: S608
            f"household_id = c.household_id, person_id = c.person_id, {ROW} = c.{ROW} FROM {CHUNK_TABLE} AS c "
            f"WHERE {self.staging}.id = c.id"
        )
        cur.execute(f"DROP TABLE {CHUNK_TABLE}")

    def _attach_households(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        cur.execute(
            f"UPDATE {t} AS st SET household_id = h.id FROM {self.H} AS h WHERE {w} AND st.state = %s "  # noqa: S608
            f"AND st.household_id IS NULL AND h.village_id = st.village_id AND h.number = st.number",
            [*wp, OK],
        )

    def _not_approved(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        rows = self._exec(
            cur,
            f"SELECT st.id, st.line, st.number FROM {t} AS st JOIN {self.H} AS h ON h.id = st.household_id "  # noqa: S608
            f"WHERE {w} AND st.state = %s AND (h.form_state <> %s OR h.status <> %s)",
            [*wp, OK, FormState.APPROVED, Household.Status.ACTIVE],
        ).fetchall()
        reject(cur, t, [(sid, "P07", violation("P07", row=line, number=num).message) for sid, line, num in rows])

    def _present(self, cur) -> None:
        t, w, wp, P = self.t, self.where, self.wp, self.P
        same = (
            "p.household_id = st.household_id AND p.name = st.name AND p.sex = st.sex AND p.birth_date = st.birth_date"
        )
        cur.execute(
            f"UPDATE {t} AS st SET state = %s, person_id = p.id FROM {P} AS p WHERE {w} AND st.state = %s "  # noqa: S608
            f"AND st.id_index IS NOT NULL AND p.id_index = st.id_index AND {same}",
            [PRESENT, *wp, OK],
        )
        cur.execute(
            f"UPDATE {t} AS st SET state = %s, person_id = p.id FROM {P} AS p WHERE {w} AND st.state = %s "  # noqa: S608
            f"AND st.id_index IS NULL AND st.household_id IS NOT NULL AND p.id_index IS NULL AND {same}",
            [PRESENT, *wp, OK],
        )

    def _conflicts(self, cur) -> None:
        """An ID registered in another household (I09), or in this one with
        other particulars (P10)."""
        t, w, wp = self.t, self.where, self.wp
        rows = self._exec(
            cur,
            f"SELECT st.id, st.line, st.household_id, p.household_id, h.region_code, h.number, r.name, "  # noqa: S608
            f"st.name, p.name, st.sex, p.sex, st.birth_date, p.birth_date FROM {t} AS st "
            f"JOIN {self.P} AS p ON p.id_index = st.id_index JOIN {self.H} AS h ON h.id = p.household_id "
            f"JOIN {quote(Region._meta.db_table)} AS r ON r.id = h.village_id WHERE {w} AND st.state = %s",
            [*wp, OK],
        ).fetchall()
        verdicts = []
        for sid, line, hh, p_hh, code, number, village, *pairs in rows:
            if hh is not None and hh == p_hh:
                labels = ("姓名", "性别", "出生日期")
                items = "、".join(
                    lbl
                    for lbl, (a, b) in zip(labels, zip(pairs[::2], pairs[1::2], strict=True), strict=True)
                    if str(a) != str(b)
                )
                verdicts.append((sid, "P10", violation("P10", row=line, items=items or "登记项").message))
            else:
                actor = self.runner.actor
                if actor is None or code_in_scope(actor, code):
                    where = f"{village} {number} 号户"
                    verdicts.append((sid, "I09", violation("I09", row=line, where=where).message))
                else:  # outside the user's jurisdiction: say nothing of where (issue 14.9)
                    verdicts.append((sid, "I29", violation("I29", row=line).message))
        reject(cur, t, verdicts)

    def _create_households(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        rows = self._exec(
            cur,
            f"SELECT st.hh_key, st.village_id, st.village_code, st.number, st.hh_type, st.address, st.relationship "  # noqa: S608
            f"FROM {t} AS st WHERE {w} AND st.state = %s AND st.household_id IS NULL ORDER BY st.hh_key, st.line",
            [*wp, OK],
        ).fetchall()
        chosen: dict[int, tuple] = {}
        for key, village_id, code, number, hh_type, address, relationship in rows:
            # The household's items come from its head's row (else its first row).
            if key not in chosen or (relationship in ("01", "02") and chosen[key][-1] not in ("01", "02")):
                chosen[key] = (village_id, code, number, hh_type, address, relationship)
        if not chosen:
            return
        writer = TableWriter(
            Household,
            [
                "village_id",
                "region_code",
                "number",
                "hh_type",
                "address",
                "status",
                "form_state",
                "approved_at",
                "version",
                "created_by_id",
                "created_at",
                "updated_at",
            ],
        )
        writer.write(
            (
                v,
                c,
                n,
                ht,
                a,
                Household.Status.ACTIVE,
                FormState.APPROVED,
                self.now,
                1,
                self.actor_id,
                self.now,
                self.now,
            )
            for v, c, n, ht, a, _r in chosen.values()
        )
        self._attach_households(cur)

    def _number_rows(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        cur.execute(
            f"UPDATE {t} AS st SET {ROW} = r.n FROM (SELECT s2.id AS sid, ROW_NUMBER() OVER ("  # noqa: S608
            f"PARTITION BY s2.household_id ORDER BY CASE WHEN s2.relationship IN ('01', '02') THEN 0 ELSE 1 END, "
            f"s2.line) + COALESCE(m.top, 0) AS n FROM {t} AS s2 LEFT JOIN (SELECT p.household_id, MAX(p.{ROW}) AS top "
            f"FROM {self.P} AS p WHERE p.household_id IN (SELECT st.household_id FROM {t} AS st WHERE {w} "
            f"AND st.state = %s) GROUP BY p.household_id) AS m ON m.household_id = s2.household_id "
            f"WHERE s2.job_id = %s AND s2.hh_key BETWEEN %s AND %s AND s2.state = %s) AS r WHERE st.id = r.sid",
            [*wp, OK, *wp, OK],
        )

    def _insert_persons(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        same = [
            "household_id",
            "row",
            "name",
            "name_pinyin",
            "name_initials",
            "id_cipher",
            "id_index",
            "id_masked",
            "id_sex",
            "id_birth_date",
            "no_id_reason",
            "sex",
            "birth_date",
            "ethnicity",
            "education",
            "occupation",
            "marital_status",
            "relationship",
            "hukou_type",
            "registered_code",
            "residence_code",
            "residence_status",
            "phone_cipher",
            "phone_index",
            "phone_masked",
        ]
        exprs: dict[str, SqlExpr] = {c: f"st.{quote(c)}" for c in same}
        exprs.update(
            responsible_code="st.registered_code",
            status=("%s", ["1"]),
            death_date="NULL",
            created_at=("%s", [self.now]),
            updated_at=("%s", [self.now]),
        )
        insert_select(Person, exprs, f"FROM {t} AS st WHERE {w} AND st.state = %s", [*wp, OK])
        cur.execute(
            f"UPDATE {t} AS st SET person_id = p.id, state = %s FROM {self.P} AS p WHERE {w} "  # noqa: S608
            f"AND st.state = %s AND p.household_id = st.household_id AND p.{ROW} = st.{ROW}",
            [LOADED, *wp, OK],
        )

    def _family(self, cur) -> None:
        """Marriages and births from the spouse/parent ID columns, where the
        other person is registered in the same household."""
        t, w, wp, P = self.t, self.where, self.wp, self.P
        insert_select(
            Marriage,
            {
                "husband_id": "hus.id",
                "wife_id": "wif.id",
                "date": "NULL",
                "kind": "CASE WHEN hus.marital_status = '22' OR wif.marital_status = '22' "
                "THEN 'remarriage' ELSE 'first' END",
            },
            f"FROM (SELECT DISTINCT CASE WHEN me.sex = '1' THEN me.id ELSE other.id END AS hid, "  # noqa: S608
            f"CASE WHEN me.sex = '1' THEN other.id ELSE me.id END AS wid FROM {t} AS st "
            f"JOIN {P} AS me ON me.id = st.person_id "
            f"JOIN {P} AS other ON other.household_id = st.household_id AND other.id_index = st.spouse_index "
            f"WHERE {w} AND st.state = %s AND st.spouse_index <> '' AND me.sex <> other.sex) AS pair "
            f"JOIN {P} AS hus ON hus.id = pair.hid JOIN {P} AS wif ON wif.id = pair.wid "
            f"WHERE NOT EXISTS (SELECT 1 FROM {quote(Marriage._meta.db_table)} AS m "
            f"WHERE m.husband_id = hus.id AND m.wife_id = wif.id)",
            [*wp, LOADED],
        )
        insert_select(
            Birth,
            {"child_id": "st.person_id", "mother_id": "mo.id", "father_id": "fa.id", "birth_order": "NULL"},
            f"FROM {t} AS st LEFT JOIN {P} AS mo ON st.mother_index <> '' AND mo.id_index = st.mother_index "
            f"AND mo.household_id = st.household_id LEFT JOIN {P} AS fa ON st.father_index <> '' "
            f"AND fa.id_index = st.father_index AND fa.household_id = st.household_id "
            f"WHERE {w} AND st.state = %s AND (mo.id IS NOT NULL OR fa.id IS NOT NULL)",
            [*wp, LOADED],
        )
        # Seed rule: a couple registered in different places is the wife's place's responsibility.
        rows = self._exec(
            cur,
            f"SELECT hus.id, wif.id, wif.registered_code FROM {quote(Marriage._meta.db_table)} AS m "  # noqa: S608
            f"JOIN {P} AS hus ON hus.id = m.husband_id JOIN {P} AS wif ON wif.id = m.wife_id "
            f"WHERE hus.registered_code <> wif.registered_code AND (hus.id IN (SELECT st.person_id FROM {t} AS st "
            f"WHERE {w} AND st.state = %s) OR wif.id IN (SELECT st.person_id FROM {t} AS st WHERE {w} "
            f"AND st.state = %s))",
            [*wp, LOADED, *wp, LOADED],
        ).fetchall()
        if rows:
            cur.executemany(
                f"UPDATE {P} SET responsible_code = %s WHERE id IN (%s, %s)",  # noqa: S608
                [(code, h, wf) for h, wf, code in rows],
            )

    def _heads(self, cur) -> None:
        """Each household without a head gets its head-relationship member
        with the lowest row (read from the staging table: a correlated
        UPDATE over the person table grown in this transaction plans badly)."""
        t, w, wp, H = self.t, self.where, self.wp, self.H
        cur.execute(
            f"UPDATE {H} SET head_id = x.person_id FROM (SELECT st.household_id, st.person_id, ROW_NUMBER() "  # noqa: S608
            f"OVER (PARTITION BY st.household_id ORDER BY st.{ROW}) AS n FROM {t} AS st WHERE {w} "
            f"AND st.state = %s AND st.relationship IN ('01', '02')) AS x "
            f"WHERE x.n = 1 AND {H}.id = x.household_id AND {H}.head_id IS NULL",
            [*wp, LOADED],
        )

    def _baseline(self, cur) -> None:
        t, w, wp = self.t, self.where, self.wp
        day = self.runner.baseline_date
        events = insert_select(
            Event,
            {
                "event_type": ("%s", [EventType.BASELINE]),
                "person_id": "st.person_id",
                "household_id": "st.household_id",
                "region_code": "st.registered_code",
                "effective_date": ("%s", [day]),
                "report_date": ("%s", [day]),
                "source": ("%s", [Event.Source.POLICE]),
                "reporter_id": ("%s", [self.actor_id]),
                "review_status": ("%s", [Event.Review.APPROVED]),
                "approved_at": ("%s", [self.now]),
                "approved_by_id": ("%s", [self.actor_id]),
                "approved_period": ("%s", [self.period]),
                "created_at": ("%s", [self.now]),
            },
            f"FROM {t} AS st WHERE {w} AND st.state = %s",
            [*wp, LOADED],
            returning="id, person_id, household_id, region_code",
        )
        # The new persons' rows were inserted from these staging columns, so
        # the spells get their attribute copies (pims.events.spell_attrs) in
        # the same COPY instead of a second write of every spell.
        attrs = ", ".join(f"st.{quote(a)}" for a in PERSON_ATTRS)
        person_rows = {
            row[0]: row[1:]
            for row in self._exec(
                cur,
                f"SELECT st.person_id, st.residence_code, {attrs} FROM {t} AS st WHERE {w} AND st.state = %s",  # noqa: S608
                [*wp, LOADED],
            ).fetchall()
        }
        TableWriter(
            Spell,
            [
                "person_id",
                "household_id",
                "kind",
                "region_code",
                "start",
                "end",
                "opened_by_id",
                "open_reason",
                "open_period",
                *PERSON_ATTRS,
            ],
        ).write(
            (
                person,
                household,
                kind,
                code,
                day,
                None,
                event,
                Spell.Opened.BASELINE,
                self.period,
                *person_rows[person][1:],
            )
            for event, person, household, registered in events
            for kind, code in ((Spell.Kind.REGISTERED, registered), (Spell.Kind.RESIDENT, person_rows[person][0]))
        )
