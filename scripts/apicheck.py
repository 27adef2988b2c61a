"""`make apicheck`: the API's contract checked by schemathesis (issue 14.10).

Starts the application (gunicorn, development settings, fresh keys) on a
throwaway PostgreSQL database, seeds the demo register, signs in as two roles
— the village clerk and the county administrator (with a verified second
factor) — and runs schemathesis against /api/openapi.json as each of them for
a bounded time. The run fails on any server error and on any answer that its
operation does not document (status, content type or body schema).

    APICHECK_DB       database to create and drop (default pims_apicheck)
    APICHECK_PG       server URL without the database (default postgres://postgres@127.0.0.1:5432)
    APICHECK_PORT     port of the server (default 8198)
    APICHECK_SECONDS  time budget per role (default 75)
    APICHECK_SEED     schemathesis' random seed (default: a fresh one, printed)
"""

import base64
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ROLES = ("clerk", "county")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"


def _key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def environment(database_url: str, work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PIMS_ENV": "development",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "FIELD_ENCRYPTION_KEYS": _key(),
        "BLIND_INDEX_KEY": _key(),
        "AUDIT_CHAIN_KEY": _key(),
        "DATABASE_URL": database_url,
        "MEDIA_ROOT": str(work / "media"),
        "BACKUP_DIR": str(work / "backups"),
        "SESSION_IDLE_SECONDS": "3600",
    }


def run(argv: list[str], env: dict[str, str]) -> None:
    subprocess.run(argv, cwd=ROOT, env=env, check=True)  # noqa: S603


def psql(pg: str, sql: str) -> None:
    run(["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{pg}/postgres", "-c", sql], dict(os.environ))


SESSIONS = """
import django, json, sys
django.setup()
from django.conf import settings
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from pims.accounts.models import User

out = {}
for username in sys.argv[1:]:
    user = User.objects.get(username=username)
    client = Client()
    client.force_login(user)  # as the sign-in page does, with the session's start
    if user.requires_2fa:
        device, _ = TOTPDevice.objects.get_or_create(user=user, name="apicheck", defaults={"confirmed": True})
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    out[username] = client.cookies[settings.SESSION_COOKIE_NAME].value
print(json.dumps(out))
"""


def sessions(env: dict[str, str]) -> dict[str, str]:
    """A signed-in (and, where the role needs it, 2FA-verified) session per role."""
    import json

    done = subprocess.run(  # noqa: S603
        [str(BIN / "python"), "-c", SESSIONS, *ROLES],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def wait_up(url: str, server: subprocess.Popen, log: Path) -> None:
    for _ in range(60):
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return
        except OSError:
            if server.poll() is not None:
                sys.stderr.write(log.read_text())
                raise SystemExit("apicheck: the server did not start") from None
            time.sleep(1)
    raise SystemExit("apicheck: the server did not answer within 60 s")


def schemathesis(base: str, role: str, session: str, seconds: int, seed: str, env: dict[str, str]) -> int:
    csrf = secrets.token_hex(16)  # any 32-character secret: cookie and header agree
    argv = [
        str(BIN / "schemathesis"),
        "run",
        f"{base}/api/openapi.json",
        "--checks",
        CHECKS,
        "--max-time",
        str(seconds),
        "--workers",
        "1",
        "--seed",
        seed,
        "--header",
        f"Cookie: sessionid={session}; csrftoken={csrf}",
        "--header",
        f"X-CSRFToken: {csrf}",
        "--header",
        f"Referer: {base}/",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    print(f"apicheck: schemathesis as {role} ({seconds} s, seed {seed})", flush=True)
    return subprocess.run(argv, cwd=ROOT, env=env).returncode  # noqa: S603


def main() -> int:
    db = os.environ.get("APICHECK_DB", "pims_apicheck")
    pg = os.environ.get("APICHECK_PG", "postgres://postgres@127.0.0.1:5432")
    port = int(os.environ.get("APICHECK_PORT", "8198"))
    seconds = int(os.environ.get("APICHECK_SECONDS", "75"))
    seed = os.environ.get("APICHECK_SEED") or str(secrets.randbelow(2**31))
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="apicheck-") as tmp:
        work = Path(tmp)
        env = environment(f"{pg}/{db}", work)
        psql(pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        psql(pg, f"CREATE DATABASE \"{db}\" ENCODING 'UTF8' TEMPLATE template0")
        server = None
        try:
            run([str(BIN / "python"), "manage.py", "migrate", "--noinput", "-v0"], env)
            run([str(BIN / "python"), "manage.py", "setup_demo"], {**env, "PYTHONWARNINGS": "ignore"})
            cookies = sessions(env)
            log = work / "server.log"
            with log.open("w") as out:
                server = subprocess.Popen(  # noqa: S603
                    [
                        str(BIN / "gunicorn"),
                        "--bind",
                        f"127.0.0.1:{port}",
                        "--workers",
                        "1",
                        "--timeout",
                        "60",
                        "config.wsgi:application",
                    ],
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                )
            wait_up(f"{base}/healthz", server, log)
            failed = [r for r in ROLES if schemathesis(base, r, cookies[r], seconds, seed, env) != 0]
            if failed:
                print(f"apicheck: failures as {', '.join(failed)}; server log: ", flush=True)
                sys.stdout.write("".join(log.read_text().splitlines(keepends=True)[-80:]))
                return 1
            print("apicheck: no server error, every answer as documented")
            return 0
        finally:
            if server is not None:
                server.terminate()
                server.wait(30)
            psql(pg, f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')


if __name__ == "__main__":
    sys.exit(main())
