"""Reads of the integration app: import jobs in the user's jurisdiction, and
the progress figures the import page shows (read from the job's row, which
the run updates at every commit)."""

from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from pims.accounts.roles import Cap, has_capability
from pims.regions.scope import scope_q

from .models import ImportJob, IntakeRecord


def import_job_list_visible_to(*, user, kinds: tuple[str, ...] = ("police", "civil")) -> QuerySet[ImportJob]:
    """Jobs started on the import page in the user's subtree (a county
    administrator sees the townships' jobs). Command-line jobs have no
    region and are not shown."""
    if not has_capability(user, Cap.IMPORT_DATA):
        return ImportJob.objects.none()
    return ImportJob.objects.filter(scope_q(user, "region_code"), kind__in=kinds).exclude(region_code="")


def access_import_job(user, pk) -> ImportJob:
    """404 for missing and out-of-scope alike."""
    try:
        return import_job_list_visible_to(user=user).get(pk=pk)
    except (ImportJob.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def import_incomplete_households(*, user, job: ImportJob, limit: int = 200):
    """The households this import left incomplete (members mode), as far as
    the user may see them, with their village."""
    from pims.registry.selectors import household_list_visible_to

    ids = job.incomplete_households or []
    return household_list_visible_to(user=user).filter(pk__in=ids[:limit]).select_related("village").order_by("pk")


def import_jobs_with_incomplete_households(*, user) -> QuerySet[ImportJob]:
    """The user's own police imports (in their jurisdiction) that left
    households incomplete which no later import completed yet."""
    jobs = import_job_list_visible_to(user=user, kinds=("police",)).filter(actor=user, state=ImportJob.State.DONE)
    return jobs.exclude(incomplete_households=[])


@dataclass
class Progress:
    state: str
    stage: str  # what is happening, for the page
    percent: float
    rows_read: int
    rows_written: int  # rows judged in stage 2 (added, already registered, rejected)
    rows_total: int  # rows in the file once read (0 while still reading an XLSX)
    rows_per_second: float
    eta_seconds: float | None
    rejected: int
    running: bool
    stale: bool


def _stage_label(job: ImportJob) -> str:
    """Every household written, the job still loading: the last stage runs
    the register rules over the import (it can take a while at county size)."""
    if job.state == ImportJob.State.LOADING and job.households_total and job.loaded_through >= job.households_total:
        return _("逻辑审核")
    return job.get_state_display()


def import_progress(job: ImportJob, *, now=None) -> Progress:
    """Progress over both stages. The rate is file rows per second end to
    end (rows the completed share stands for, over the time since the
    start): honest across the two stages, which count different things."""
    from .launch import job_is_stale

    now = now or timezone.now()
    p = job.progress
    running = job.state in (ImportJob.State.STAGING, ImportJob.State.LOADING)
    end = job.finished_at if job.state == ImportJob.State.DONE and job.finished_at else now
    elapsed = max((end - job.started_at).total_seconds(), 1e-3)
    if job.state == ImportJob.State.STAGING:
        read_share = 3 * p  # staging counts for a third of the progress
        expected = job.rows_total / read_share if read_share > 0 else 0
    else:
        expected = job.rows_total
    written = job.rows_loaded + job.rows_present + job.rows_rejected if job.state != ImportJob.State.STAGING else 0
    rate = p * expected / elapsed if expected else 0.0
    eta = elapsed * (1 - p) / p if running and 0 < p < 1 else None
    return Progress(
        state=job.state,
        stage=_stage_label(job),
        percent=round(100 * p, 1),
        rows_read=job.rows_total,
        rows_written=min(written, job.rows_total),
        rows_total=job.rows_total if job.state != ImportJob.State.STAGING else 0,
        rows_per_second=rate,
        eta_seconds=eta,
        rejected=job.rows_rejected,
        running=running,
        stale=job_is_stale(job),
    )


# --- the review queue of departmental records ----------------------------------------


def intake_review_list_visible_to(*, user, state: str = IntakeRecord.State.REVIEW) -> QuerySet[IntakeRecord]:
    """Records waiting for a reviewer (or, with `state`, decided ones) in the
    user's subtree: a township reviewer sees the township's, the county
    administrator the county's (records matched to nobody belong to the county)."""
    if not has_capability(user, Cap.REVIEW):
        return IntakeRecord.objects.none()
    return IntakeRecord.objects.filter(scope_q(user, "region_code"), state=state)


def access_intake_record(user, pk) -> IntakeRecord:
    """404 for missing, out-of-scope and not reviewable alike."""
    if not has_capability(user, Cap.REVIEW):
        raise Http404
    try:
        return IntakeRecord.objects.select_related("job").get(scope_q(user, "region_code"), pk=pk)
    except (IntakeRecord.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


@dataclass
class Side:
    """One item of a party: the file's value and each candidate's."""

    label: str
    file: str
    register: list[tuple[str, bool]]  # (value, differs from the file's)


@dataclass
class Candidate:
    pk: int
    where: str
    chosen: bool
    probability: str = ""  # the probabilistic matcher's, as a percentage ("" when it did not score this person)
    why: list[str] = field(default_factory=list)  # the comparisons that drove it, in words


@dataclass
class PartyView:
    role: str
    label: str
    explanation: str
    id_problem: str
    candidates: list[Candidate]
    rows: list[Side]
    scored: bool = False  # the probabilistic matcher scored this party's candidates


ITEMS = [("name", "姓名"), ("sex", "性别"), ("birth_date", "出生日期"), ("id_masked", "公民身份号码")]
SEX_LABELS = {"1": "男", "2": "女"}


def intake_record_sides(*, user, record: IntakeRecord) -> list[PartyView]:
    """The file's record beside the register's candidates, party by party,
    differences marked, with the matcher's finding in words. Candidates the
    user may not see are left out."""
    from pims.integration.pipeline.match import KIND_LABELS
    from pims.integration.pipeline.records import SOURCES
    from pims.integration.pipeline.review import allowed
    from pims.regions.models import Region
    from pims.registry.selectors import person_list_visible_to

    out = []
    for role, label in SOURCES[record.source].roles.items():
        party = record.parties.get(role) or {}
        match = record.matches.get(role) or {}
        pks = allowed(record, role)
        persons = {p.pk: p for p in person_list_visible_to(user=user).filter(pk__in=pks).select_related("household")}
        shown = [persons[pk] for pk in pks if pk in persons]
        villages = dict(Region.objects.filter(code__in={p.registered_code for p in shown}).values_list("code", "name"))
        rows = []
        for key, item in ITEMS:
            mine = party.get(key, "")
            values = []
            for p in shown:
                theirs = {
                    "name": p.name,
                    "sex": p.sex,
                    "birth_date": p.birth_date.isoformat(),
                    "id_masked": p.id_masked,
                }[key]
                values.append(
                    (SEX_LABELS.get(theirs, theirs) if key == "sex" else theirs, bool(mine) and mine != theirs)
                )
            rows.append(Side(item, SEX_LABELS.get(mine, mine) if key == "sex" else mine, values))
        scores = {s["person"]: s for s in match.get("scores", [])}
        candidates = [
            Candidate(
                p.pk,
                f"{villages.get(p.registered_code, p.registered_code)} {p.household.number} 号户",
                i == 0,
                *_score_words(scores.get(p.pk)),
            )
            for i, p in enumerate(shown)
        ]
        out.append(
            PartyView(
                role,
                label,
                KIND_LABELS.get(match.get("kind", ""), ""),
                party.get("id_problem", ""),
                candidates,
                rows,
                bool(scores),
            )
        )
    return out


def _score_words(scored: dict | None) -> tuple[str, list[str]]:
    """A candidate's match probability and each comparison's level and
    weight (positive: speaks for the same person), for the review page."""
    if not scored:
        return "", []
    return f"{100 * scored['p']:.1f}%", [f"{w['label']}（{w['weight']:+.1f}）" for w in scored.get("why", [])]


# --- likely duplicates in the register ---------------------------------------------------


def duplicate_list_visible_to(*, user, state: str = "open") -> QuerySet:
    """Likely duplicate pairs of the user's subtree (both persons inside it):
    a township reviewer sees the pairs within the township, the county
    administrator also those across townships."""
    from .models import DuplicatePair

    if not has_capability(user, Cap.REVIEW):
        return DuplicatePair.objects.none()
    return DuplicatePair.objects.filter(scope_q(user, "region_code"), state=state)


def access_duplicate_pair(user, pk):
    """404 for missing, out-of-scope and not reviewable alike."""
    from .models import DuplicatePair

    if not has_capability(user, Cap.REVIEW):
        raise Http404
    try:
        return DuplicatePair.objects.select_related("person_a", "person_b").get(scope_q(user, "region_code"), pk=pk)
    except (DuplicatePair.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


PAIR_ITEMS = [
    ("name", "姓名"),
    ("sex", "性别"),
    ("birth_date", "出生日期"),
    ("id_masked", "公民身份号码"),
    ("status", "人员状态"),
    ("where", "户籍地"),
]


def duplicate_sides(*, pair) -> tuple[list[tuple[str, str, str, bool]], list[str]]:
    """The two persons item by item ((label, first, second, differs)) and
    the matcher's reasons in words."""
    from pims.regions.models import Region

    a, b = pair.person_a, pair.person_b
    villages = dict(Region.objects.filter(code__in={a.registered_code, b.registered_code}).values_list("code", "name"))

    def value(p, key):
        if key == "sex":
            return SEX_LABELS.get(p.sex, p.sex)
        if key == "status":
            return p.get_status_display()
        if key == "where":
            return f"{villages.get(p.registered_code, p.registered_code)} {p.household.number} 号户"
        return str(getattr(p, key) or "")

    rows = [(label, value(a, key), value(b, key), value(a, key) != value(b, key)) for key, label in PAIR_ITEMS]
    return rows, _score_words({"p": pair.probability, "why": pair.why})[1]
