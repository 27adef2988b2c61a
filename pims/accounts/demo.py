"""Demo accounts, one per role, on the real 法库县 region tree.

The passwords below are published in the README and printed by the demo
setup: they are for demonstration and training only, and `ensure_demo_users`
refuses to run in production mode.
"""

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError

from pims.regions.models import Region

from .roles import Role
from .services import user_create

COUNTY = "210124000000"  # 法库县
TOWNSHIP = "210124101000"  # 大孤家子镇
VILLAGE = "210124101200"  # 大孤家子村委会
OTHER_TOWNSHIP = "210124102000"  # 三面船镇
CITY = "210100000000"  # 沈阳市
PROVINCE = "210000000000"  # 辽宁省

# (username, password, role, region code). Passwords pass the password policy
# (10+ characters, not similar to the username, not common, not numeric).
DEMO_USERS = [
    ("clerk", "Faku-clerk-2026", Role.VILLAGE_CLERK, VILLAGE),
    ("operator", "Faku-entry-2026", Role.TOWNSHIP_OPERATOR, TOWNSHIP),
    ("reviewer", "Faku-check-2026", Role.TOWNSHIP_REVIEWER, TOWNSHIP),
    ("county", "Faku-admin-2026", Role.COUNTY_ADMIN, COUNTY),
    ("city", "Shenyang-view-2026", Role.CITY_VIEWER, CITY),
    ("province", "Liaoning-view-2026", Role.PROVINCE_VIEWER, PROVINCE),
    ("auditor", "Faku-audit-2026", Role.AUDITOR, COUNTY),
    ("sysadmin", "Faku-system-2026", Role.SYSADMIN, COUNTY),
    ("outsider", "Faku-other-2026", Role.TOWNSHIP_OPERATOR, OTHER_TOWNSHIP),
]


def ensure_demo_users() -> list[dict[str, str]]:
    """Create the demo accounts that do not exist yet (existing ones are left
    untouched) and return their logins. Regions must already be loaded."""
    if settings.PIMS_ENV == "production":
        raise CommandError("Demo users are not created when PIMS_ENV=production.")
    User = get_user_model()
    regions = Region.objects.in_bulk([code for *_, code in DEMO_USERS], field_name="code")
    missing = sorted({code for *_, code in DEMO_USERS} - set(regions))
    if missing:
        raise CommandError(f"Regions not loaded: {', '.join(missing)}")
    out = []
    for username, password, role, code in DEMO_USERS:
        region = regions[code]
        if not User.objects.filter(username=username).exists():
            user_create(actor=None, username=username, password=password, role=role, region=region)
        out.append(
            {
                "username": username,
                "password": password,
                "role_label": str(Role(role).label),
                "region_name": region.name,
            }
        )
    return out
