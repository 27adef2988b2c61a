"""Recompute Person.name_pinyin / name_initials with pims.lib.names (surname
readings: 曾 zeng, 单 shan …) for rows stored by an older rule.

Only the two derived search keys change, in batches by primary key, so the
command can be stopped and re-run at any time; rows already right are not
written. Nothing personal changes, so no audit entry per row: one summary line
is printed instead.

    manage.py recompute_name_pinyin [--batch 5000]
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from pims.lib.names import name_pinyin
from pims.registry.models import Person


class Command(BaseCommand):
    help = "按姓氏读音重新计算人员姓名全拼和首字母（仅检索用字段）"

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=5000)

    def handle(self, *args, batch, **options):
        last, seen, changed = 0, 0, 0
        while True:
            rows = list(
                Person.objects.filter(pk__gt=last)
                .order_by("pk")
                .values_list("pk", "name", "name_pinyin", "name_initials")[:batch]
            )
            if not rows:
                break
            updates = []
            for pk, name, pinyin, initials in rows:
                new = name_pinyin(name)
                if new != (pinyin, initials):
                    updates.append(Person(pk=pk, name_pinyin=new[0], name_initials=new[1]))
            with transaction.atomic():
                Person.objects.bulk_update(updates, ["name_pinyin", "name_initials"])
            seen += len(rows)
            changed += len(updates)
            last = rows[-1][0]
        self.stdout.write(f"checked {seen} persons, updated {changed}")
