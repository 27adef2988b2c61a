"""Township A's household, person, check run and sample for the outsider walk."""

from pims.testing import scope_targets

from .factories import make_household, make_person


def _household_a1(ctx):
    def build():
        hh = make_household(ctx.regions["village_a1"], number="WALK0001")
        return hh, make_person(hh, name="甲乙丙丁")

    return ctx.once("registry_household_a1", build)


@scope_targets.register("pk", routes=["registry:household_"])
@scope_targets.register("household_id")
def _households(ctx):
    hh, _ = _household_a1(ctx)
    ctx.plant("WALK0001")
    return [hh.pk]


@scope_targets.register("pk", routes=["registry:person_"])
@scope_targets.register("person_id")
def _persons(ctx):
    _, person = _household_a1(ctx)
    ctx.plant(person.name)
    return [person.pk]
