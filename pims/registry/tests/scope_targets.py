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


def _check_run_a(ctx):
    """A batch check run over township A (its household has no head: R03)."""

    def build():
        from pims.registry.checks.batch import check_run_start

        _household_a1(ctx)
        return check_run_start(actor=ctx.personas["reviewer"], region=ctx.regions["township_a"])

    return ctx.once("registry_check_run_a", build)


@scope_targets.register("pk", routes=["registry:check_run_"])
def _check_runs(ctx):
    return [_check_run_a(ctx).pk]


@scope_targets.register("rule_id", routes=["registry:check_run_cell"])
def _check_rules(ctx):
    hit = _check_run_a(ctx).hits.order_by("pk").first()
    return [hit.rule_id if hit else "R03"]


def _sample_draw_a(ctx):
    """A sample of village A1's collected forms, drawn by its reviewer."""

    def build():
        from pims.registry import sampling

        hh, _ = _household_a1(ctx)
        type(hh).objects.filter(pk=hh.pk).update(form_state=sampling.FRAME_STATES[-1])
        return sampling.sample_draw(actor=ctx.personas["reviewer"], village=ctx.regions["village_a1"], count=1, seed=1)

    return ctx.once("registry_sample_a1", build)


@scope_targets.register("pk", routes=["registry:quality:sample_detail"])
def _sample_draws(ctx):
    return [_sample_draw_a(ctx).pk]


@scope_targets.register("pk", routes=["registry:quality:sample_item_record"])
def _sample_items(ctx):
    return list(_sample_draw_a(ctx).items.values_list("pk", flat=True))


@scope_targets.register("pk", routes=["registry:volume_"])
def _volumes(ctx):
    from pims.registry.volumes import volume_save

    def build():
        return volume_save(
            actor=ctx.personas["operator"],
            data={"number": "WALKVOL01", "kept_at": "走查档案室甲柜", "holder": "走查保管员"},
            village=ctx.regions["village_a1"],
        )

    volume = ctx.once("volume_a1", build)
    ctx.plant("走查档案室甲柜", "走查保管员")
    return [volume.pk]
