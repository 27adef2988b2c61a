"""Shared pytest fixtures: the small region tree and the named personas."""

import datetime as dt

import pytest
from django.contrib.auth import get_user_model

from pims.accounts.roles import Role
from pims.lib import clock
from pims.regions.models import Level, Region

PASSWORD = "Zq8!kd93-Lm2x"

# A small tree under 法库县 with real codes: township A 大孤家子镇 (two
# villages) and township B 三面船镇 (one).
TREE = [
    ("210000000000", "辽宁省", Level.PROVINCE, None),
    ("210100000000", "沈阳市", Level.CITY, "210000000000"),
    ("210124000000", "法库县", Level.COUNTY, "210100000000"),
    ("210124101000", "大孤家子镇", Level.TOWNSHIP, "210124000000"),
    ("210124101200", "大孤家子村委会", Level.VILLAGE, "210124101000"),
    ("210124101201", "拉马桥村委会", Level.VILLAGE, "210124101000"),
    ("210124102000", "三面船镇", Level.TOWNSHIP, "210124000000"),
    ("210124102200", "三面船村委会", Level.VILLAGE, "210124102000"),
]


def build_tree() -> dict[str, Region]:
    made: dict[str, Region] = {}
    for code, name, level, parent in TREE:
        made[code], _ = Region.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "parent": made[parent] if parent else None,
                "valid_from": dt.date(2023, 6, 30),
            },
        )
    return made


@pytest.fixture
def regions(db):
    tree = build_tree()
    return {
        "province": tree["210000000000"],
        "city": tree["210100000000"],
        "county": tree["210124000000"],
        "township_a": tree["210124101000"],
        "village_a1": tree["210124101200"],
        "village_a2": tree["210124101201"],
        "township_b": tree["210124102000"],
        "village_b1": tree["210124102200"],
    }


def make_user(username: str, role: str, region: Region, **extra):
    return get_user_model().objects.create_user(
        username=username, password=PASSWORD, role=role, region=region, full_name=username, **extra
    )


@pytest.fixture
def personas(regions):
    return {
        "clerk": make_user("clerk_a1", Role.VILLAGE_CLERK, regions["village_a1"]),
        "operator": make_user("operator_a", Role.TOWNSHIP_OPERATOR, regions["township_a"]),
        "reviewer": make_user("reviewer_a", Role.TOWNSHIP_REVIEWER, regions["township_a"]),
        "county": make_user("county_admin", Role.COUNTY_ADMIN, regions["county"]),
        "auditor": make_user("auditor", Role.AUDITOR, regions["county"]),
        "sysadmin": make_user("sysadmin", Role.SYSADMIN, regions["county"]),
        "outsider": make_user("outsider_b", Role.TOWNSHIP_OPERATOR, regions["township_b"]),
    }


def login(client, user):
    """Sign a test client in as `user`, completing 2FA where the role needs it."""
    client.force_login(user)
    if user.requires_2fa:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(client, personas):
    """`client_for("clerk")` → a Django test client signed in as that persona."""

    def _client(name: str):
        from django.test import Client

        return login(Client(), personas[name])

    return _client


@pytest.fixture
def outsider_targets(regions, personas):
    """Township A's data planted for the outsider walk, with the values to put
    in URL parameters and the strings that must not leak (see
    pims.testing.scope_targets: apps register there, not here)."""
    from pims.testing.scope_targets import TargetContext, build_targets

    return build_targets(TargetContext(regions=regions, personas=personas))


# The audit log is append-only: database triggers refuse DELETE/TRUNCATE, so
# the flush that ends a transactional test (live_server, browser tests) would
# fail once a request wrote an audit row. Before that flush the triggers are
# lifted, the log emptied and the triggers put back, with the audit app's own
# trigger SQL (pims/audit/migrations/0003_append_only_triggers.py).
_AUDIT_TRIGGERS_MIGRATION = "pims.audit.migrations.0003_append_only_triggers"


def empty_audit_log_for_flush() -> None:
    import importlib

    from django.db import connection

    try:
        module = importlib.import_module(_AUDIT_TRIGGERS_MIGRATION)
    except ModuleNotFoundError:
        return
    # Loud on purpose: if the audit app moves its trigger SQL, every
    # transactional test would otherwise fail later with a puzzling flush error.
    statements = module.STATEMENTS
    install, remove = statements.get(connection.vendor, ([], []))
    with connection.cursor() as cursor:
        for sql in remove:
            cursor.execute(sql)
        cursor.execute("DELETE FROM audit_auditentry")
        for sql in install:
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def _audit_log_emptied_before_flush(request):
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction")
    )
    if not transactional:
        yield
        return
    # Set up the database first, so that this teardown runs before its flush.
    request.getfixturevalue("transactional_db")
    yield
    empty_audit_log_for_flush()


@pytest.fixture
def real_hashers():
    """Request this fixture to keep the configured (production) hashers."""


@pytest.fixture(autouse=True)
def _cheap_hashers(request, settings):
    if "real_hashers" not in request.fixturenames:
        settings.PASSWORD_HASHERS = ["pims.testing.hashers.CheapArgon2PasswordHasher", *settings.PASSWORD_HASHERS]


_CODE_SNAPSHOT: dict | None = None


def _snapshot_codes() -> dict:
    from pims.codes.models import Code, CodeTable, CodeVersion

    return {model: list(model.objects.values()) for model in (CodeTable, CodeVersion, Code)}


def _restore_codes(snapshot: dict) -> None:
    from django.core.management.color import no_style
    from django.db import connection

    for model, rows in snapshot.items():
        model.objects.bulk_create([model(**row) for row in rows])
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(snapshot)):
            cursor.execute(sql)


@pytest.fixture
def codes(db):
    """The real code manual in the test database. The first use runs
    `load_codes`; later tests restore a snapshot of its rows (much faster)."""
    global _CODE_SNAPSHOT
    from django.core.management import call_command

    from pims.codes.models import CodeTable

    if CodeTable.objects.exists():
        return
    if _CODE_SNAPSHOT is None:
        call_command("load_codes", verbosity=0)
        _CODE_SNAPSHOT = _snapshot_codes()
    else:
        _restore_codes(_CODE_SNAPSHOT)


@pytest.fixture
def travel():
    """Move the product's clock to another day for one test: `travel(day)`.
    The run's pinned day comes back afterwards."""
    previous = clock.pinned_day()
    yield clock.travel_to
    clock.travel_to(previous)


@pytest.fixture(autouse=True)
def _parameter_cache_cleared(monkeypatch):
    """Each test reads the parameter table afresh — a value amended in an
    earlier test's (rolled-back) transaction must not linger in the
    process's copy (pims.params.selectors) — and exactly once: no periodic
    re-check in the middle of a test, so query counts do not depend on how
    long a test runs (a test of the re-check sets CHECK_SECONDS itself)."""
    import math

    from pims.codes.names import names_cache_clear
    from pims.params import selectors

    monkeypatch.setattr(selectors, "CHECK_SECONDS", math.inf)
    selectors.param_cache_clear()
    names_cache_clear()  # the code names (pims.codes.names) likewise
    yield
    selectors.param_cache_clear()
    names_cache_clear()


@pytest.fixture(autouse=True)
def _audit_anchor_file(settings, tmp_path_factory):
    """Each test signs its audit anchors into a file of its own: an anchor
    describes one database's chain, and every test has a fresh database."""
    settings.AUDIT_ANCHOR_FILE = tmp_path_factory.mktemp("anchors") / "audit-anchors.jsonl"
