"""Township A's exchange messages for the outsider walk: one to the county
(never the outsider's), so every page and action of a message is tried."""

from pims.testing import scope_targets


def _message(ctx):
    def make():
        from pims.exchange import services
        from pims.exchange.models import Kind, Topic
        from pims.registry.tests.factories import make_couple

        _, husband, _ = make_couple(ctx.regions["village_a1"])
        husband.name = "交换测试甲乙"
        husband.save()
        draft = services.message_draft(
            actor=ctx.personas["operator"],
            kind=Kind.INQUIRY,
            topic=Topic.REGISTERED_ELSEWHERE,
            receiver_code=ctx.regions["county"].code,
            person=husband,
            text="协查说明丙丁戊己",
        )
        ctx.plant("交换测试甲乙", "协查说明丙丁戊己")
        return services.message_send(actor=ctx.personas["operator"], message=draft)

    return ctx.once("exchange_message_a", make)


@scope_targets.register("pk", routes=["exchange:", "api:exchange_"])
def _messages(ctx):
    return [_message(ctx).pk]


@scope_targets.register("fmt", routes=["exchange:"])
def _formats(ctx):
    from pims.stats.exports import FORMATS
    from pims.testing.scope_targets import Sample

    return [Sample(fmt, scoped=False, label="format") for fmt in FORMATS]
