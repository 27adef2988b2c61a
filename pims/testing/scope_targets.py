"""What the outsider walk (pims/tests_system/test_outsider_walk.py) tries.

The walk fills every path parameter of every URL and API operation with values
that identify *township A's* data, signs in as the outsider (an operator of
township B) and checks that nothing of township A comes back. It knows nothing
about any app: each app tells it, here, which values to try for which
parameter names and which strings would betray a leak.

An app registers in ``pims/<app>/tests/scope_targets.py`` (found by
`autodiscover`, no conftest edit needed)::

    from pims.testing import scope_targets

    @scope_targets.register("pk", routes=["registry:household_", "api:household_"])
    @scope_targets.register("household_id")
    def _households(ctx):
        hh = ctx.once("household_a1", lambda: household_register(actor=ctx.personas["operator"], ...))
        ctx.plant(hh.address)            # must never reach the outsider
        return [hh.pk]

A factory receives a `TargetContext` and returns the values (str, int or
`Sample`) to try. Generic names (``pk``, ``id``) are registered with
``routes=``: view-name prefixes ("registry:household_") the values are meant
for, so a household's pk is not tried on the user pages and vice versa. ``ctx.once(key, fn)`` shares an object between factories
registered under several names; ``ctx.plant(*strings)`` records strings that
identify township A's data (names, addresses, planted values). Plant strings
specific enough not to occur on the outsider's own pages by chance.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps


@dataclass(frozen=True)
class Sample:
    """A value to put in a URL parameter.

    ``scoped``: the value identifies township A's data, so the response must
    not differ from the one for a missing value other than by being an
    innocent 200 (a 403 where a missing value gives 404 leaks existence).
    Reference data everyone may read (code tables) is not scoped.
    """

    value: str
    scoped: bool = True
    label: str = ""

    def missing(self) -> str:
        """A value of the same shape that identifies nothing."""
        v = self.value
        if v.isdigit():
            return "9" * len(v) if len(v) >= 9 else "987654321"
        if len(v) == 36 and v.count("-") == 4:
            return "00000000-0000-0000-0000-000000000000"
        return "zz-no-such-value"


Factory = Callable[["TargetContext"], Iterable[Any]]

_FACTORIES: list[tuple[tuple[str, ...], tuple[str, ...], Factory]] = []


def register(*param_names: str, routes: Iterable[str] = ()):
    """Decorator: `factory(ctx)` gives values for parameters with these names
    (on views whose name starts with one of `routes`, or on every view)."""

    def deco(factory: Factory) -> Factory:
        _FACTORIES.append((param_names, tuple(routes), factory))
        return factory

    return deco


def registered_names() -> set[str]:
    return {name for names, _, _ in _FACTORIES for name in names}


@dataclass
class TargetContext:
    regions: dict
    personas: dict
    cache: dict = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)

    def once(self, key: str, fn: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = fn()
        return self.cache[key]

    def plant(self, *strings: str) -> None:
        for s in strings:
            if not s or len(str(s)) < 3:
                raise ValueError(f"planted string {s!r} is too short to be a reliable leak marker")
            self.secrets.add(str(s))


@dataclass
class Targets:
    # (parameter name, view-name prefixes or () for all views, sample)
    entries: list[tuple[str, tuple[str, ...], Sample]]
    secrets: set[str]

    @property
    def by_name(self) -> dict[str, list[Sample]]:
        out: dict[str, list[Sample]] = {}
        for name, _, sample in self.entries:
            bucket = out.setdefault(name, [])
            if sample not in bucket:
                bucket.append(sample)
        return out

    def registered(self, name: str, view_name: str | None) -> bool:
        return bool(self._matching(name, view_name))

    def _matching(self, name: str, view_name: str | None) -> list[Sample]:
        out = []
        for n, routes, sample in self.entries:
            if n != name or sample in out:
                continue
            if not routes or (view_name and view_name.startswith(routes)):
                out.append(sample)
        return out

    def for_param(self, name: str, view_name: str | None = None) -> list[Sample]:
        """Samples for a parameter of a view; a parameter nothing is registered
        for gets every sample there is."""
        matching = self._matching(name, view_name)
        if matching:
            return matching
        seen: dict[str, Sample] = {}
        for _, _, s in self.entries:
            seen.setdefault(s.value, s)
        return list(seen.values())

    def leaked(self, body: str) -> list[str]:
        return sorted(s for s in self.secrets if s in body)


def _as_sample(value: Any) -> Sample:
    return value if isinstance(value, Sample) else Sample(str(value))


def build_targets(ctx: TargetContext) -> Targets:
    autodiscover()
    entries = []
    for names, routes, factory in _FACTORIES:
        samples = [_as_sample(v) for v in factory(ctx)]
        entries += [(name, routes, s) for name in names for s in samples]
    return Targets(entries=entries, secrets=set(ctx.secrets))


_discovered = False


def autodiscover() -> None:
    """Import `<app>.tests.scope_targets` for every installed project app."""
    global _discovered
    if _discovered:
        return
    _discovered = True
    for config in apps.get_app_configs():
        if not config.name.startswith("pims."):
            continue
        module = f"{config.name}.tests.scope_targets"
        try:
            found = importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:
            found = False
        if found:
            importlib.import_module(module)


# --- the foundation's own targets -------------------------------------------


@register("code", "region_code", "region", "village_code", "township_code")
def _township_a_regions(ctx: TargetContext):
    # Township A and its villages; their names must never reach the outsider.
    regions = [ctx.regions["township_a"], ctx.regions["village_a1"], ctx.regions["village_a2"]]
    ctx.plant(*(r.name for r in regions))
    return [Sample(r.code, label=r.name) for r in regions]


@register("username")
def _township_a_users(ctx: TargetContext):
    users = [ctx.personas["clerk"], ctx.personas["operator"], ctx.personas["reviewer"]]
    ctx.plant(*(u.username for u in users))
    return [Sample(u.username, label="user") for u in users]


@register("pk", routes=["accounts:user_"])
@register("user_id")
def _township_a_user_pks(ctx: TargetContext):
    users = [ctx.personas["clerk"], ctx.personas["operator"], ctx.personas["reviewer"]]
    return [Sample(str(u.pk), label=f"user {u.username}") for u in users]


@register("key", "table", "table_key")
def _code_table(ctx: TargetContext):
    # Code tables are reference data every signed-in user may read: not scoped.
    table = ctx.once("code_table", _make_code_table)
    return [Sample(table.key, scoped=False, label="code table")]


def _make_code_table():
    from pims.codes.models import Code, CodeTable, CodeVersion

    table, _ = CodeTable.objects.get_or_create(key="walk-sex", defaults={"name": "性别（walk）"})
    version, created = CodeVersion.objects.get_or_create(
        table=table, number=1, defaults={"is_current": True, "checksum": "0" * 64}
    )
    if created:
        Code.objects.create(version=version, code="1", name="男", sort=1)
    return table
