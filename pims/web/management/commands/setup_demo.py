"""`manage.py setup_demo`: a ready-to-try system on the real 法库县 tree.

Idempotent: every step leaves existing rows alone, so `make run` may call it
on every start. Refuses to run when PIMS_ENV=production.
"""

import importlib
import importlib.util
import inspect

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

DEMO_SEED_MODULE = "pims.registry.demo"


def _width(text: str) -> int:
    """Display width: CJK characters take two columns in a terminal."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def login_table(rows: list[dict]) -> str:
    header = {"username": "用户名", "password": "密码", "role_label": "角色", "region_name": "所属区划"}
    keys = list(header)
    widths = {k: max(_width(str(r[k])) for r in [header, *rows]) for k in keys}
    lines = ["  ".join(_pad(str(r[k]), widths[k]) for k in keys).rstrip() for r in [header, *rows]]
    lines.insert(1, "  ".join("-" * widths[k] for k in keys))
    return "\n".join(lines)


class Command(BaseCommand):
    help = "Load regions, code tables and policy parameters, create the demo users and seed demo households (never in production)."

    def add_arguments(self, parser):
        parser.add_argument("--skip-seed", action="store_true", help="do not seed demo households and persons")
        parser.add_argument(
            "--full",
            action="store_true",
            help="seed the full ~340,000-person Faku population (1,400 per village; minutes, not seconds) "
            "instead of the small demo scale (same as PIMS_DEMO_SCALE=full)",
        )
        parser.add_argument(
            "--county",
            action="append",
            default=[],
            metavar="CODE",
            help="also load and seed this Liaoning county (6-digit code; repeatable); the demo logins stay in 法库县",
        )

    def handle(self, *args, skip_seed=False, full=False, county=(), **options):
        if settings.PIMS_ENV == "production" or getattr(settings, "PRODUCTION", False):
            raise CommandError("setup_demo refuses to run when PIMS_ENV=production: it creates published passwords.")

        self.stdout.write("== 行政区划 regions")
        from pims.regions.loader import DEFAULT_COUNTY

        counties = list(dict.fromkeys([DEFAULT_COUNTY, *county]))
        call_command("load_regions", *[f"--county={c}" for c in counties], stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("== 代码手册 code tables")
        call_command("load_codes", stdout=self.stdout, stderr=self.stderr)
        self.stdout.write("== 政策参数 policy parameters")
        call_command("load_params", stdout=self.stdout, stderr=self.stderr)

        from pims.accounts.demo import ensure_demo_users

        self.stdout.write("== 演示账户 demo logins")
        self.stdout.write(login_table(ensure_demo_users()))
        self.stdout.write(
            "县管理员、市/省级查询、审计员和系统管理员首次登录时须设置双因素认证（TOTP 验证器应用）。\n"
            "County/city/province/auditor/sysadmin accounts set up TOTP two-factor authentication at first login."
        )

        self.stdout.write("== 演示数据 demo households and persons")
        if skip_seed:
            self.stdout.write("skipped (--skip-seed)")
        elif importlib.util.find_spec(DEMO_SEED_MODULE) is None:
            self.stdout.write(f"note: {DEMO_SEED_MODULE} does not exist yet; no demo households seeded")
        else:
            seed = getattr(importlib.import_module(DEMO_SEED_MODULE), "seed_demo", None)
            if seed is None:
                self.stdout.write(f"note: {DEMO_SEED_MODULE} has no seed_demo(); no demo households seeded")
            else:
                params = inspect.signature(seed).parameters
                kwargs = {"stdout": self.stdout} if "stdout" in params else {}
                if "counties" in params:
                    kwargs["counties"] = counties
                if full:
                    if "scale" not in params:
                        raise CommandError(f"{DEMO_SEED_MODULE}.seed_demo() cannot load the full population")
                    kwargs["scale"] = "full"
                    self.stdout.write("full scale: ~340,000 persons (1,400 per village), this takes a few minutes")
                result = seed(**kwargs)
                if result is not None:
                    self.stdout.write(str(result))
        self.stdout.write(self.style.SUCCESS("Demo ready."))
