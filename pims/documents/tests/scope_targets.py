"""Township A's documents for the outsider walk: a 生育登记 issued by
township A, so every page and action of a registration is tried."""

import datetime as dt

from pims.lib import clock
from pims.testing import scope_targets


def _registration(ctx):
    def make():
        from django.core.management import call_command

        from pims.codes.models import CodeTable
        from pims.documents import services
        from pims.registry.tests.factories import make_couple

        if not CodeTable.objects.exists():
            call_command("load_codes", verbosity=0)
        _, husband, wife = make_couple(ctx.regions["village_a1"])
        husband.name, wife.name = "登记测试甲乙", "登记测试丙丁"
        husband.save()
        wife.save()
        ctx.plant("登记测试甲乙", "登记测试丙丁")
        application = services.Application(
            due_date=clock.today() + dt.timedelta(days=90), commitment=True, husband_employer="单位戊己庚"
        )
        ctx.plant("单位戊己庚")
        return services.birth_registration_apply(
            actor=ctx.personas["operator"], person=husband, application=application
        )

    return ctx.once("documents_registration_a", make)


@scope_targets.register("pk", routes=["documents:registration_", "api:documents_registration"])
def _registrations(ctx):
    return [_registration(ctx).pk]


def _honour(ctx):
    def make():
        from pims.documents.honour_services import honour_apply, honour_county_approve, honour_township_review
        from pims.registry.tests.factories import make_child, make_couple

        _registration(ctx)  # loads the code manual
        hh, husband, wife = make_couple(ctx.regions["village_a1"])
        child = make_child(hh, 3, mother=wife, father=husband, birth_date=dt.date(2012, 6, 1), name="光荣测试辛壬")
        ctx.plant("光荣测试辛壬")
        cert = honour_apply(actor=ctx.personas["clerk"], child=child, commitment=True, comment="村级意见癸子丑")
        ctx.plant("村级意见癸子丑")
        cert = honour_township_review(actor=ctx.personas["reviewer"], cert=cert, approve=True)
        return honour_county_approve(actor=ctx.personas["county"], cert=cert, approve=True)

    return ctx.once("documents_honour_a", make)


@scope_targets.register("pk", routes=["documents:honour_", "api:documents_honour"])
def _honours(ctx):
    return [_honour(ctx).pk]


@scope_targets.register("child", routes=["documents:honour_new"])
def _children(ctx):
    return [_honour(ctx).child_id]


@scope_targets.register("token", routes=["documents:verify", "api:documents_verify"])
def _tokens(ctx):
    # The public verification page shows, by design, the issuing township
    # (here township A) and masked holders to anyone holding the token: the
    # walk tries a token that names nothing; test_certificates checks what
    # the page shows for a real one.
    return [scope_targets.Sample("x" * 43, scoped=False)]


def _historic(ctx):
    def make():
        from django.utils import timezone

        from pims.documents.models import HistoricDocument

        cert = _honour(ctx)
        ctx.plant("历史证号寅卯辰")
        return HistoricDocument.objects.create(
            kind="service_cert",
            number="历史证号寅卯辰",
            holder=cert.wife,
            holder_uuid=cert.wife.uuid,
            region_code=cert.wife.responsible_code,
            issuer="大孤家子镇",
            issue_date=dt.date(2010, 1, 1),
            source="walk.csv",
            source_line=2,
            imported_at=timezone.now(),
            imported_by=ctx.personas["county"],
        )

    return ctx.once("documents_historic_a", make)


@scope_targets.register("person", routes=["documents:historic_"])
def _historic_holders(ctx):
    return [_historic(ctx).holder_id]


def _historic_import(ctx):
    def make():
        from django.utils import timezone

        from pims.documents.models import HistoricImport

        _registration(ctx)
        ctx.plant("历史导入文件巳午未.csv")
        return HistoricImport.objects.create(
            file_name="历史导入文件巳午未.csv",
            file_sha256="0" * 64,
            region_code=ctx.personas["operator"].region.code,
            actor=ctx.personas["operator"],
            state=HistoricImport.State.DONE,
            rows_total=1,
            rows_done=1,
            rejected=[[2, ["历史拒绝行申酉戌"], ["原因"]]],
            rejected_count=1,
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )

    ctx.plant("历史拒绝行申酉戌")
    return ctx.once("documents_historic_import_a", make)


@scope_targets.register("pk", routes=["documents:historic_import_"])
def _historic_imports(ctx):
    return [_historic_import(ctx).pk]
