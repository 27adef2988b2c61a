"""Event handlers: one module per event type, registered in `HANDLERS`.

After the first collection the events app is the only writer of the
register: persons' status, marital status, household and region codes,
marriages, births, pregnancies, contraception and household heads change
here, inside the transaction that approves the event's change report
(pims.events.engine), and nowhere else. The household form
(pims.registry.services) writes a household only until it is approved.

Each module offers:

- `LABEL`; `PERSON` / `RELATED` / `HOUSEHOLD`: the label of the subject,
  the other person and the household the form asks for (None: not asked;
  `PERSON_OPTIONAL` when a newcomer may be described instead);
- `FIELDS`: the payload items (`base.Field`), and optionally `clean(payload)`
  for rules on their shape;
- `validate(event, state) -> list[str]`: the register rules, against the
  in-memory state (pims.events.state) that already holds the effects of the
  batch's earlier events; messages name the record, field and rule;
- `apply(event, state)`: the effects, on the state; the engine writes them.
"""

from types import ModuleType

from ..models import EventType
from . import (
    birth,
    cancel,
    contra_change,
    contra_start,
    contra_stop,
    correction,
    death,
    divorce,
    flow_in,
    flow_out,
    hh_merge,
    hh_split,
    marriage,
    move_in,
    move_out,
    move_within,
    preg_outcome,
    pregnancy,
    remarriage,
    reversal,
)

HANDLERS: dict[str, ModuleType] = {
    EventType.BIRTH: birth,
    EventType.DEATH: death,
    EventType.MOVE_IN: move_in,
    EventType.MOVE_OUT: move_out,
    EventType.MOVE_WITHIN: move_within,
    EventType.CANCEL: cancel,
    EventType.MARRIAGE: marriage,
    EventType.DIVORCE: divorce,
    EventType.REMARRIAGE: remarriage,
    EventType.PREGNANCY: pregnancy,
    EventType.PREG_OUTCOME: preg_outcome,
    EventType.CONTRA_START: contra_start,
    EventType.CONTRA_CHANGE: contra_change,
    EventType.CONTRA_STOP: contra_stop,
    EventType.FLOW_IN: flow_in,
    EventType.FLOW_OUT: flow_out,
    EventType.HH_SPLIT: hh_split,
    EventType.HH_MERGE: hh_merge,
    EventType.CORRECTION: correction,
    EventType.REVERSAL: reversal,
}


def handler_for(event_type: str) -> ModuleType | None:
    return HANDLERS.get(event_type)


def handler_of(event_type: str) -> ModuleType:
    """The handler of an event type already known to have one (KeyError otherwise)."""
    return HANDLERS[event_type]
