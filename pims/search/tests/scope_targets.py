"""Targets for the outsider walk: a saved query of township A's operator."""

from pims.testing import scope_targets


@scope_targets.register("pk", routes=["search:saved_"])
def _saved_queries(ctx):
    from pims.search.models import SavedQuery

    saved = ctx.once(
        "search_saved_query",
        lambda: SavedQuery.objects.create(
            owner=ctx.personas["operator"], name="大孤家子育龄妇女核查", criteria={"childbearing": True}
        ),
    )
    ctx.plant(saved.name)
    return [saved.pk]
