"""manage.py close_month REGION YYYY-MM [--user NAME] [--reopen | --reclose] [--reason TEXT] [--override-reason TEXT]

Close (or reopen) a county's month with the same service as the page; the
acting user is a county administrator of that county (by default the only
active one). `--reclose` reopens the month (audited, with the reason) and
closes it anew, e.g. after a counting rule was corrected: the old cells
stay as history."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from pims.accounts.roles import Role
from pims.lib.errors import PimsError
from pims.regions.models import Region
from pims.stats.models import MonthClose
from pims.stats.services import month_close, month_reopen


class Command(BaseCommand):
    help = "月结：关闭（或撤销）一个县某月的统计，写入月度汇总表。"

    def add_arguments(self, parser):
        parser.add_argument("region", help="县/区的 12 位区划代码")
        parser.add_argument("period", help="统计月份 YYYY-MM")
        parser.add_argument("--user", help="执行月结的县管理员用户名（默认为该县唯一的县管理员）")
        parser.add_argument("--reopen", action="store_true", help="撤销该月的月结")
        parser.add_argument("--reclose", action="store_true", help="撤销该月的月结并重新月结（按现行口径重算）")
        parser.add_argument("--reason", default="", help="撤销原因（撤销或重新月结时必填）")
        parser.add_argument(
            "--override-reason", default="", help="有村未报送变更单仍要月结时的原因（缺报的村和原因记入审计日志）"
        )

    def handle(
        self, *args, region, period, user=None, reopen=False, reclose=False, reason="", override_reason="", **options
    ):
        county = Region.objects.filter(code=region, valid_to__isnull=True).first()
        if county is None:
            raise CommandError(f"区划 {region} 不存在")
        actor = self._actor(county, user)
        try:
            if reopen or reclose:
                close = MonthClose.objects.filter(
                    region_code=county.code, period=period, reopened_at__isnull=True
                ).first()
                if close is None:
                    raise CommandError(f"{county.name} {period} 没有生效的月结")
                with transaction.atomic():
                    month_reopen(actor=actor, close=close, reason=reason)
                    if reclose:
                        close = month_close(actor=actor, region=county, period=period, override_reason=override_reason)
                if reclose:
                    self.stdout.write(f"{county.name} {period} 已重新月结：月末人数（户籍+常住）{close.spells}")
                else:
                    self.stdout.write(f"{county.name} {period} 的月结已撤销")
            else:
                close = month_close(actor=actor, region=county, period=period, override_reason=override_reason)
                self.stdout.write(f"{county.name} {period} 已月结：月末人数（户籍+常住）{close.spells}")
        except PimsError as exc:
            raise CommandError(str(exc)) from None

    def _actor(self, county, username):
        users = get_user_model().objects.filter(role=Role.COUNTY_ADMIN, region=county, is_active=True)
        if username:
            users = users.filter(username=username)
        found = list(users[:2])
        if len(found) != 1:
            raise CommandError("请用 --user 指定该县的一名县管理员")
        return found[0]
