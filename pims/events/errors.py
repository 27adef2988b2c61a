"""The events app's refusals and their messages (kinds: pims.lib.errors).

Tests assert these constants (``exc.template is REPORT_NOT_EDITABLE``), not
the wording."""

from collections.abc import Sequence
from typing import Any

from django.utils.translation import gettext_lazy as _

from pims.lib.errors import Invalid, Problem

# --- who may act (NotPermitted: answered as 404) -------------------------------------------
REPORT_NOT_FILEABLE_HERE = _("您不能为该区划填报这一来源的变更单")
REPORT_NOT_YOURS_TO_FILE = _("您不能填报该变更单")
REPORT_NOT_YOURS_TO_REVIEW = _("只有本辖区的审核员可以审核该变更单（填报人不能审核自己的变更单）")

# --- state (Conflict: 409) -----------------------------------------------------------------
REPORT_PERIOD_TAKEN = _("%(region)s %(period)s 已有一份未审核的%(source)s变更单")
REPORT_NOT_EDITABLE = _("变更单已提交或已审核，不能再修改")
REPORT_TYPE_NOT_FOR_SOURCE = _("%(source)s变更单不能登记“%(type)s”")
EVENT_NOT_PENDING_WITHDRAW = _("只有待审核的事件可以撤回")
EVENT_NOT_PENDING_REVISE = _("只有待审核的事件可以修改")
REVIEW_OWN_REPORT = _("填报人不能审核自己的变更单（规则：审核与填报须由不同的人完成）")
REPORT_NOT_SUBMITTED = _("只有已提交的变更单可以审核")
RETURN_NEEDS_COMMENT = _("退回时必须至少填写一条审核意见")
RETURN_COMMENT_STRANGERS = _("事件 %(events)s 不属于本变更单（规则：审核意见只能针对本变更单的事件）")

# --- rules broken (EventRefused: 422) --------------------------------------------------------
REPORT_PERIOD_INVALID = _("报告月份“%(period)s”无效（格式 YYYY-MM，不能晚于本月）")
EVENTS_REFUSED = _("变动不符合登记规则，未作任何修改")
BULK_TYPE_NOT_FOR_SOURCE = _("第 %(item)d 条：该来源的变更单不能登记“%(type)s”")
NEW_EVENT = _("新事件")
EVENT_RECORD = _("事件 %(pk)s")


def _problem(event, item) -> Problem:
    """A refused event's message as a Problem: a catalogue violation keeps
    its rule id and field; a plain message is kept as it is."""
    pk = getattr(event, "pk", None)
    record = str(EVENT_RECORD % {"pk": pk}) if pk else str(NEW_EVENT)
    return Problem(
        message=str(getattr(item, "message", item)),
        rule=getattr(item, "rule_id", "") or "",
        field=getattr(item, "field", "") or "",
        record=record,
        details={"event_id": pk},
    )


class EventRefused(Invalid):
    """One or more events break a rule; nothing was changed. `by_event` lists
    each refused event (None for one not stored yet) with its messages, each
    naming the record, the field and the rule; `problems` are the same as
    the API answers them."""

    def __init__(self, by_event: Sequence[tuple[Any, Sequence[str]]]):  # (event or None, messages)
        self.by_event = by_event
        super().__init__(
            EVENTS_REFUSED,
            problems=[_problem(event, item) for event, items in by_event for item in items],
        )
