"""`make tiers`: a county instance and the province instance side by side on
one machine (docs/operator/province.md, "演示：县级和省级并排运行").

Each instance has its own SQLite database, keys and bundle folder under
tiers/ (git-ignored; delete the folder to start again). The first start
seeds the county's demo as collected last month, has the demo township
approve and the county accept that month, exchanges the two instances' public
keys, exports the bundle, imports it at the province and reads the receipt
back at the county. Then both servers run with their workers: the county on
PORT (8000), the province on PORT+1. Later starts only run the servers.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys

from run_dev import ROOT, supervise

TIERS = ROOT / "tiers"
COUNTY = "210124000000"  # 法库县, the demo county
PYTHON = sys.executable


def instance_env(name: str, tier: str) -> dict[str, str]:
    """The instance's settings: its own database, bundle folder and keys
    (written once to tiers/<name>.env, read again on later starts)."""
    path = TIERS / f"{name}.env"
    if not path.exists():
        keys = {
            k: base64.b64encode(os.urandom(32)).decode()
            for k in ("FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "AUDIT_CHAIN_KEY")
        }
        lines = {
            "PIMS_ENV": "development",
            "DEBUG": "true",
            "PIMS_TIER": tier,
            "SECRET_KEY": base64.b64encode(os.urandom(48)).decode(),
            "DATABASE_URL": f"sqlite:///{TIERS / name}.sqlite3",
            "BUNDLE_DIR": str(TIERS / name),
            **keys,
        }
        path.write_text("".join(f"{k}={v}\n" for k, v in lines.items()))
        path.chmod(0o600)
    values = dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {**os.environ, **values}


def manage(env: dict[str, str], *args: str) -> None:
    print(f"[{env['PIMS_TIER']}] manage.py {' '.join(args)}", flush=True)
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)  # noqa: S603


def first_start(county: dict[str, str], province: dict[str, str]) -> None:
    manage(county, "migrate", "--noinput", "-v0")
    manage(province, "migrate", "--noinput", "-v0")
    manage(county, "tier_demo", "county")
    manage(province, "setup_demo", "--skip-seed")
    county_public, province_public = TIERS / "county-public.json", TIERS / "province-public.json"
    manage(county, "bundle_keys", "init")
    manage(province, "bundle_keys", "init")
    manage(county, "bundle_keys", "public", str(county_public), "--county", COUNTY)
    manage(province, "bundle_keys", "public", str(province_public))
    manage(county, "bundle_keys", "trust", str(province_public))
    manage(province, "bundle_keys", "trust", str(county_public))
    manage(county, "bundle_export", "--county", COUNTY)
    bundle = sorted((TIERS / "county" / "out").glob("*.pimsbundle"))[-1]
    manage(province, "bundle_import", str(bundle), "--receipt", f"{bundle}.receipt")
    manage(county, "bundle_receipt", f"{bundle}.receipt")


def main(port: int) -> int:
    TIERS.mkdir(exist_ok=True)
    county, province = instance_env("county", "county"), instance_env("province", "province")
    done = TIERS / ".ready"
    if not done.exists():
        first_start(county, province)
        done.touch()
    print(
        f"县级 county   http://127.0.0.1:{port}/  (统计分析 → 数据上报: 已上传)\n"
        f"省级 province http://127.0.0.1:{port + 1}/  (数据上报: 法库县的数据包) — sign in as `province`\n"
        "demo logins as in README.md; Ctrl-C stops both",
        flush=True,
    )
    commands: list[tuple[list[str], dict[str, str] | None]] = []
    for env, at in ((county, port), (province, port + 1)):
        commands.append(([PYTHON, "manage.py", "run_worker"], env))
        commands.append(([PYTHON, "manage.py", "runserver", f"127.0.0.1:{at}"], env))
    return supervise(commands)


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 8000))
