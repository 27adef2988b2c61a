"""Temporary database aliases and the PostgreSQL client tools' arguments."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import environ
from django.db import connections
from django.db.utils import load_backend

ENGINE_VENDOR = {
    "django.db.backends.sqlite3": "sqlite",
    "django.db.backends.postgresql": "postgresql",
}


def settings_from_url(url: str) -> dict:
    return environ.Env.db_url_config(url)


def vendor_of(settings_dict: dict) -> str:
    try:
        return ENGINE_VENDOR[settings_dict["ENGINE"]]
    except KeyError:
        raise ValueError(f"unsupported database engine {settings_dict['ENGINE']!r}") from None


def is_memory(settings_dict: dict) -> bool:
    name = str(settings_dict.get("NAME") or "")
    return name in {"", ":memory:"} or "mode=memory" in name


@contextmanager
def temporary_alias(settings_dict: dict) -> Iterator[str]:
    """Open `settings_dict` as a throwaway connection alias for the ORM.

    The wrapper is placed in `connections` without touching DATABASES, as a
    dynamically created connection (the test framework allows those too)."""
    alias = f"ops_{uuid.uuid4().hex[:12]}"
    configured = connections.configure_settings({"default": dict(settings_dict)})["default"]
    connections[alias] = load_backend(configured["ENGINE"]).DatabaseWrapper(configured, alias)
    try:
        yield alias
    finally:
        connections[alias].close()
        del connections[alias]


def pg_tool(name: str) -> str:
    return shutil.which(name) or f"/usr/bin/{name}"


def pg_connection_args(settings_dict: dict) -> list[str]:
    args = [f"--dbname={settings_dict['NAME']}"]
    for flag, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            args.append(f"{flag}={settings_dict[key]}")
    return args


def pg_environment(settings_dict: dict) -> dict[str, str]:
    env = dict(os.environ)
    if settings_dict.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings_dict["PASSWORD"])
    sslmode = (settings_dict.get("OPTIONS") or {}).get("sslmode")
    if sslmode:
        env["PGSSLMODE"] = sslmode
    return env
