"""Township A's programme records for the outsider walk: a 奖扶 cycle of the
county with an A1 couple through to a 名册 (the cycle page is the county's
and open to the outsider, who must see none of A1's entries)."""

from pims.testing import scope_targets


def _cycle(ctx):
    def make():
        import datetime as dt

        from pims.lib import clock
        from pims.programmes import services
        from pims.programmes.models import Programme

        from .families import jiangfu_family

        hh, husband, wife, son = jiangfu_family(ctx.regions["village_a1"])
        husband.name, wife.name = "扶助甲乙丙", "扶助丁戊己"
        husband.save()
        wife.save()
        ctx.plant("扶助甲乙丙", "扶助丁戊己")
        p = ctx.personas
        cycle = services.cycle_open(actor=p["county"], programme=Programme.JIANGFU, year=2026)
        for entry in cycle.entries.all():
            services.entry_village_review(actor=p["clerk"], entry=entry, approve=True)
        notice = services.notice_publish(actor=p["clerk"], cycle=cycle, village_code=ctx.regions["village_a1"].code)
        previous = clock.pinned_day()
        clock.travel_to(notice.ends_on + dt.timedelta(days=1))
        try:
            services.township_review_all(actor=p["reviewer"], cycle=cycle)
            services.cycle_confirm(actor=p["county"], cycle=cycle)
            roster = services.roster_build(actor=p["county"], cycle=cycle)
        finally:
            clock.travel_to(previous)
        return {"cycle": cycle, "roster": roster, "entry": cycle.entries.first(), "person": husband}

    return ctx.once("programme_cycle_a", make)


@scope_targets.register(
    "pk",
    routes=[
        "programmes:cycle",
        "programmes:entries",
        "programmes:notice_",
        "programmes:township_review",
        "programmes:roster_build",
        "programmes:stops",
        "programmes:changes",
        "api:programmes_entries",
        "api:programmes_stops",
        "api:programmes_changes",
        "api:programmes_rosters",
    ],
)
def _cycles(ctx):
    return [_cycle(ctx)["cycle"].pk]


@scope_targets.register("village", routes=["programmes:notice_pdf"])
def _villages(ctx):
    _cycle(ctx)
    return [ctx.regions["village_a1"].code]


@scope_targets.register("pk", routes=["programmes:entry_", "programmes:stop_record"])
def _entries(ctx):
    return [_cycle(ctx)["entry"].pk]


@scope_targets.register(
    "pk",
    routes=["programmes:roster_xlsx", "programmes:roster_pdf", "programmes:roster_paid", "api:programmes_roster_lines"],
)
def _rosters(ctx):
    return [_cycle(ctx)["roster"].pk]


@scope_targets.register("pk", routes=["programmes:person", "programmes:fact_new", "api:programmes_person"])
def _persons(ctx):
    return [_cycle(ctx)["person"].pk]


def _health_woman(ctx):
    def make():
        import datetime as dt

        from pims.lib import clock
        from pims.registry.tests.factories import make_household, make_person

        hh = make_household(ctx.regions["village_a1"])
        ctx.plant("筛查甲乙丙")
        return make_person(hh, 1, "2", clock.today() - dt.timedelta(days=365 * 40), "02", name="筛查甲乙丙")

    return ctx.once("health_woman_a", make)


@scope_targets.register("kind", routes=["programmes:health_", "api:programmes_health"])
def _health_kinds(ctx):
    from pims.programmes.models import HealthServiceKind
    from pims.testing.scope_targets import Sample

    _health_woman(ctx)
    return [Sample(k, scoped=False) for k in HealthServiceKind.values]


@scope_targets.register("pk", routes=["programmes:health_record"])
def _health_persons(ctx):
    return [_health_woman(ctx).pk]
