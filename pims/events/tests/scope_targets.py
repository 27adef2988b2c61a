"""Township A's change report, event, person and household for the outsider walk."""

from pims.lib import clock
from pims.testing import scope_targets


def _report(ctx):
    def make():
        from django.core.management import call_command

        from pims.events import services
        from pims.events.periods import period_of
        from pims.events.tests.conftest import approved_household, members

        call_command("load_codes", verbosity=0)
        hh = approved_household(ctx.personas, ctx.regions["village_a1"], number="0777", seq=7)
        people = members(hh)
        report = services.change_report_create(
            actor=ctx.personas["clerk"], region_code=ctx.regions["village_a1"].code, period=period_of(clock.today())
        )
        event = services.event_file(
            actor=ctx.personas["clerk"],
            report=report,
            event_type="pregnancy",
            data={"person": people["李四"].pk, "effective_date": clock.today().isoformat()},
        )
        ctx.plant("大孤家子村一组 12 号")
        return {"report": report, "event": event, "household": hh, "person": people["李四"]}

    return ctx.once("events_report_a1", make)


@scope_targets.register("pk", routes=["events:report_"])
def _reports(ctx):
    return [_report(ctx)["report"].pk]


@scope_targets.register("pk", routes=["events:event_"])
def _events(ctx):
    return [_report(ctx)["event"].pk]


@scope_targets.register("pk", routes=["events:person_", "api:events_person_"])
def _persons(ctx):
    return [_report(ctx)["person"].pk]


@scope_targets.register("pk", routes=["events:household_"])
def _households(ctx):
    return [_report(ctx)["household"].pk]


@scope_targets.register("report_id")
def _report_ids(ctx):
    return [_report(ctx)["report"].pk]


@scope_targets.register("event_type")
def _event_types(ctx):
    return [scope_targets.Sample("pregnancy", scoped=False, label="event type")]
