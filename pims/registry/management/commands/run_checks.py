import getpass

from django.core.management.base import BaseCommand, CommandError

from pims.regions.models import Region
from pims.registry.checks.batch import check_run_system


class Command(BaseCommand):
    help = "批量逻辑审核：对一个区划（含下级）内的全部正常户运行所有登记规则。"

    def add_arguments(self, parser):
        parser.add_argument("region_code", help="12 位区划代码（县、乡镇或村）")

    def handle(self, *args, region_code, **options):
        try:
            region = Region.objects.get(code=region_code)
        except Region.DoesNotExist:
            raise CommandError(f"区划代码 {region_code} 不存在") from None

        def progress(rule, n, seconds):
            self.stdout.write(f"{rule.id} {rule.title}: {n} ({seconds:.2f} s)")

        run = check_run_system(region=region, progress=progress, username=f"cli:{getpass.getuser()}")
        seconds = (run.finished_at - run.started_at).total_seconds()
        self.stdout.write(
            self.style.SUCCESS(
                f"run {run.pk}: {run.households} 户 {run.persons} 人, {run.rules} 条规则, "
                f"错误 {run.errors}, 提示 {run.warnings}, {seconds:.1f} s"
            )
        )
