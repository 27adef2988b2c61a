import pytest

from pims.exchange import services
from pims.web.queues import work_queue

from .conftest import inquiry

pytestmark = pytest.mark.django_db


def keys(user, source):
    return [e.item.key for e in work_queue(user=user).entries if e.source.key == source]


def test_messages_wait_on_the_routers_then_the_receivers_work_queue(personas, regions, couple):
    m = inquiry(personas["operator"], regions["township_b"], couple[1])
    assert keys(personas["county"], "exchange.route") == [f"exchange.route:{m.pk}:{m.version}"]
    assert keys(personas["outsider"], "exchange.due") == []
    m = services.message_forward(actor=personas["county"], message=m)
    assert keys(personas["county"], "exchange.route") == []
    entry = [e for e in work_queue(user=personas["outsider"]).entries if e.source.key == "exchange.due"][0]
    assert entry.item.due == m.due_date and couple[1].name in entry.item.title
    assert keys(personas["operator"], "exchange.due") == [] and keys(personas["clerk"], "exchange.due") == []
    services.message_receive(actor=personas["outsider"], message=m)
    services.message_answer(actor=personas["outsider"], message=m, text="已核实")
    assert keys(personas["outsider"], "exchange.due") == []
