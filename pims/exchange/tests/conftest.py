import pytest

from pims.exchange import services
from pims.exchange.models import Kind, Topic
from pims.registry.tests.factories import make_couple


@pytest.fixture
def couple(regions):
    """A married couple of village A1 (township A): (household, husband, wife)."""
    return make_couple(regions["village_a1"])


def inquiry(actor, receiver, person, **kw):
    """A 协查 from the actor's node about `person`, sent."""
    draft = services.message_draft(
        actor=actor,
        kind=kw.pop("kind", Kind.INQUIRY),
        topic=kw.pop("topic", Topic.REGISTERED_ELSEWHERE),
        receiver_code=receiver.code,
        person=person,
        **kw,
    )
    return services.message_send(actor=actor, message=draft)
