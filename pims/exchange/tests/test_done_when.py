"""Issue 18 "done when", at the service level beside the browser journey:
a woman registered in township A moves to township B (A's flow-out);
B records her pregnancy and A receives the 通报 automatically; the county routes A's 交接; both sides
confirm the list; her responsible region is B's; the population report of
both townships and the balance equation agree with an independent count."""

import pytest

from pims.accounts.roles import Role
from pims.events import selectors as event_selectors
from pims.events import services as events
from pims.events.models import Spell
from pims.events.periods import period_of
from pims.events.tests.conftest import approved_household, members
from pims.exchange import handover, services
from pims.exchange.models import Kind, Message, State, Topic
from pims.lib import clock
from pims.registry.models import Person, PersonStatus
from pims.stats import selectors as stats
from pims.stats.frame import Params
from pims.testing.fixtures import make_user

pytestmark = pytest.mark.django_db


def independent_count(prefix: str, kind: str) -> int:
    """Living persons whose registered (or resident) place lies in the region, from the persons alone."""
    field = "registered_code" if kind == Spell.Kind.REGISTERED else "residence_code"
    return Person.objects.filter(status=PersonStatus.ACTIVE, **{f"{field}__startswith": prefix}).count()


def test_move_notice_handover_and_the_counts_still_agree(codes, personas, regions):
    a, b = regions["village_a1"], regions["village_b1"]
    clerk_b = make_user("clerk_b1", Role.VILLAGE_CLERK, b)
    reviewer_b = make_user("reviewer_b", Role.TOWNSHIP_REVIEWER, regions["township_b"])
    wife = members(approved_household(personas, a))["李四"]
    period = period_of(clock.today())
    # A records her leaving for B (a flow-out into a village of the register
    # moves her resident spell to B); B then records her pregnancy. (B's own
    # clerk cannot file the arrival of a person registered and living in A:
    # the picker is scoped, and typed by ID the form offers a 协查 instead.)
    today = clock.today().isoformat()
    out = events.change_report_create(actor=personas["clerk"], region_code=a.code, period=period)
    events.event_file(
        actor=personas["clerk"],
        report=out,
        event_type="flow_out",
        data={"person": wife.pk, "destination_code": b.code, "reason": "1", "effective_date": today},
    )
    events.change_report_submit(actor=personas["clerk"], report=out)
    events.change_report_approve(actor=personas["reviewer"], report=out)
    report = events.change_report_create(actor=clerk_b, region_code=b.code, period=period)
    events.event_file(
        actor=clerk_b, report=report, event_type="pregnancy", data={"person": wife.pk, "effective_date": today}
    )
    events.change_report_submit(actor=clerk_b, report=report)
    events.change_report_approve(actor=reviewer_b, report=report)
    notice = Message.objects.get(kind=Kind.NOTICE, person=wife)
    assert (notice.sender_code, notice.receiver_code) == (regions["township_b"].code, regions["township_a"].code)
    services.message_receive(actor=personas["operator"], message=notice)

    m = services.message_draft(
        actor=personas["operator"],
        kind=Kind.HANDOVER,
        topic=Topic.DELEGATED,
        receiver_code=regions["township_b"].code,
        person=wife,
        text="委托现居住地管理",
    )
    handover.handover_confirm_send(actor=personas["operator"], handover_list=m.handover_list)
    services.message_send(actor=personas["operator"], message=m)
    services.message_forward(actor=personas["county"], message=m)
    services.message_receive(actor=personas["outsider"], message=m)
    receipts = {
        e.pk: ("received" if e.person_id == wife.pk else "queried", "待核") for e in m.handover_list.entries.all()
    }
    handover.handover_confirm_receive(actor=personas["outsider"], handover_list=m.handover_list, decisions=receipts)
    wife.refresh_from_db()
    assert wife.responsible_code == b.code and Message.objects.get(pk=m.pk).state == State.CONFIRMED

    for township in (regions["township_a"], regions["township_b"]):
        for kind in (Spell.Kind.REGISTERED, Spell.Kind.RESIDENT):
            expected = independent_count(township.prefix, kind)
            balance = event_selectors.population_balance(township.prefix, period, kind=kind)
            assert balance.holds and balance.end == expected, (township.name, kind)
            result = stats.report_run(
                user=personas["county"], key="population", code=township.code, params=Params(period, period, kind)
            )
            assert result.section("main").total.values["total"] == expected, (township.name, kind)
