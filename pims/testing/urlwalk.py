"""Enumerate every URL the project serves and every operation of the JSON API.

Used by the outsider walk (pims/tests_system/test_outsider_walk.py): nothing
is listed by hand, so a view added tomorrow is walked tomorrow.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    """One URL pattern, with the prefixes of the includes above it joined in."""

    template: str  # "regions/<str:code>/"; every parameter as <name> or <conv:name>
    name: str | None  # "regions:detail"
    params: tuple[str, ...]
    # parameter name -> regex its converter accepts
    param_regex: dict[str, str] = field(default_factory=dict, compare=False, hash=False)

    def fill(self, values: dict[str, str]) -> str:
        def sub(m: re.Match) -> str:
            return values[m.group("name")]

        return "/" + _ROUTE_PARAM.sub(sub, self.template)

    def accepts(self, param: str, value: str) -> bool:
        return re.fullmatch(self.param_regex.get(param, "[^/]+"), value) is not None


def _regex_to_route(regex: str) -> str:
    """Turn a simple regex pattern (named groups only) into a route template.
    Anything cleverer raises, so the walk never skips a pattern silently."""
    out, i = [], 0
    regex = regex.removeprefix("^").removesuffix("$").removesuffix(r"\Z")
    while i < len(regex):
        if regex.startswith("(?P<", i):
            end = regex.index(">", i)
            name = regex[i + 4 : end]
            depth, j = 1, end + 1
            while depth:
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            out.append(f"<{name}>")
            i = j
        elif regex[i] == "\\" and i + 1 < len(regex) and not regex[i + 1].isalnum():
            out.append(regex[i + 1])
            i += 2
        elif regex[i] in "()[]{}?*+|^$\\":
            raise ValueError(f"cannot turn regex URL pattern {regex!r} into a walkable route")
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _pattern_route(pattern) -> tuple[str, dict[str, str]]:
    if isinstance(pattern, RoutePattern):
        return str(pattern), {name: conv.regex for name, conv in pattern.converters.items()}
    if isinstance(pattern, RegexPattern):
        compiled = pattern.regex
        route = _regex_to_route(str(pattern))
        groups = dict.fromkeys(compiled.groupindex, "[^/]+")
        return route, groups
    raise TypeError(f"unknown URL pattern type {type(pattern).__name__}: {pattern!r}")


def iter_routes(patterns=None, prefix: str = "", namespace: str = "", regexes=None) -> list[Route]:
    """Every leaf URL pattern reachable from the root resolver."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    regexes = dict(regexes or {})
    routes: list[Route] = []
    for p in patterns:
        route, p_regexes = _pattern_route(p.pattern)
        merged = {**regexes, **p_regexes}
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            routes += iter_routes(p.url_patterns, prefix + route, ns, merged)
        elif isinstance(p, URLPattern):
            template = prefix + route
            params = tuple(m.group("name") for m in _ROUTE_PARAM.finditer(template))
            name = f"{namespace}{p.name}" if p.name else None
            routes.append(Route(template, name, params, {k: v for k, v in merged.items() if k in params}))
        else:
            raise TypeError(f"unknown URL entry {p!r}")
    return routes


@dataclass(frozen=True)
class Operation:
    method: str  # "get", "post", ...
    path: str  # "/api/regions/{code}"
    path_params: dict[str, str]  # name -> OpenAPI type ("string", "integer", ...)
    query_params: dict[str, str]

    def fill(self, values: dict[str, str]) -> str:
        url = self.path
        for name, value in values.items():
            url = url.replace("{" + name + "}", value)
        return url

    def accepts(self, param: str, value: str) -> bool:
        kind = self.path_params.get(param) or self.query_params.get(param) or "string"
        if kind == "integer":
            return value.isdigit()
        return "/" not in value


_HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def iter_operations(schema: dict) -> list[Operation]:
    ops = []
    for path, item in schema.get("paths", {}).items():
        shared = item.get("parameters", [])
        for method, op in item.items():
            if method not in _HTTP_METHODS:
                continue
            path_params, query_params = {}, {}
            for param in shared + op.get("parameters", []):
                kind = param.get("schema", {}).get("type", "string")
                if param["in"] == "path":
                    path_params[param["name"]] = kind
                elif param["in"] == "query":
                    query_params[param["name"]] = kind
            ops.append(Operation(method, path, path_params, query_params))
    return ops
