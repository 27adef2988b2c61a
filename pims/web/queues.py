"""Work queues (待办): one registry of queue sources, one per kind of work.

Each app that creates work for somebody registers a *source* in its
AppConfig.ready()::

    from pims.web.queues import QueueItem, register_source

    def returned_forms(user) -> list[QueueItem]:
        ...  # the app's own scoped selector; [] for a user it concerns not

    register_source("registry.returned", _("退回修改的采集表"), returned_forms)

A source's selector takes the signed-in user and returns the items waiting
for *that user*, already limited to the user's jurisdiction (use the app's
scoped selectors: the queue adds no region filter of its own, so a selector
that forgets it leaks). It must be cheap — it runs on every dashboard view and
every poll of the notification endpoint: aggregate, limit, no query per row.

The dashboard (pims.web.views) lists the items of every source, most urgent
and newest first; the page script (static/js/queue.js) polls `web:queue_poll`
and shows a notice when an item it has not seen before appears.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.utils.functional import Promise

from pims.lib import clock


@dataclass(frozen=True)
class QueueItem:
    """One thing to do.

    key: unique and stable across requests ("<source>:<id>[:<version>]") —
         the notification shows an item whose key it has not seen, so a key
         that changes on every request would notify on every poll; put a
         version in it when the same object needs attention again.
    title: what to do, in Chinese, naming the object ("户 0001 采集表已退回").
    url: the page where the user acts (one click).
    created: when the work arose (the item's "newest" order).
    due: the date by which it must be done, if there is one.
    urgent: the source's own judgement (besides being overdue).
    count: how many things the item stands for (e.g. "5 份待审核").
    detail: a short second line (region name, number of comments …).
    """

    key: str
    title: str
    url: str
    created: dt.datetime
    due: dt.date | None = None
    urgent: bool = False
    count: int = 1
    detail: str = ""

    def overdue(self, today: dt.date) -> bool:
        return self.due is not None and self.due < today


@dataclass(frozen=True)
class QueueSource:
    key: str
    label: str | Promise
    selector: Callable[..., Iterable[QueueItem]]


SOURCES: dict[str, QueueSource] = {}


def register_source(key: str, label: str | Promise, selector: Callable[..., Iterable[QueueItem]]) -> None:
    """Add (or, for the same key, replace) a queue source. `selector(user)`
    returns the user's scoped items; see the module docstring."""
    SOURCES[key] = QueueSource(key, label, selector)


@dataclass
class SourceCount:
    key: str
    label: str | Promise
    count: int  # the sum of its items' counts
    items: int


@dataclass
class QueueEntry:
    source: QueueSource
    item: QueueItem
    overdue: bool


@dataclass
class WorkQueue:
    entries: list[QueueEntry] = field(default_factory=list)
    sources: list[SourceCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(s.count for s in self.sources)


def _order(entry: QueueEntry) -> tuple:
    """Overdue and urgent first (earliest due first), then the rest newest first."""
    item = entry.item
    pressing = entry.overdue or item.urgent
    due = item.due or dt.date.max
    return (0, due, -item.created.timestamp()) if pressing else (1, -item.created.timestamp(), due)


def work_queue(*, user) -> WorkQueue:
    """Every source's items for `user`, ordered; counts per source (only
    sources with something waiting are listed)."""
    today = clock.today()
    queue = WorkQueue()
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return queue
    for source in SOURCES.values():
        items = list(source.selector(user))
        if not items:
            continue
        queue.sources.append(SourceCount(source.key, source.label, sum(i.count for i in items), len(items)))
        queue.entries.extend(QueueEntry(source, i, i.overdue(today)) for i in items)
    queue.entries.sort(key=_order)
    return queue
