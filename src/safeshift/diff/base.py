"""What the parts of the diff share: the schemas, the changes so far, the renames resolved, and the
comparisons every part uses (by key, by name with renames, dependencies first)."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, TypeVar

from safeshift.changes import (
    Change,
)
from safeshift.model import (
    Column,
    Schema,
    Table,
    View,
)
from safeshift.renames import Resolver

T = TypeVar("T")

#: the relations (schema, name) a view reads: the dialect's ``view_dependencies``
ViewDependencies = Callable[[View], frozenset[tuple[str, str]]]


#: whether two columns (each with its table) are the same to the database: the dialect's ``same_column``
SameColumn = Callable[[Table, Column, Table, Column], bool]


def no_dependencies(view: View) -> frozenset[tuple[str, str]]:
    return frozenset()


def equal_columns(old_table: Table, old: Column, new_table: Table, new: Column) -> bool:
    return old == new


class DiffState:
    """What every part of the diff shares: the two schemas, the changes so far, and what the renames
    resolved (later parts translate the old side through them)."""

    def __init__(self, old: Schema, new: Schema, resolver: Resolver, view_dependencies: ViewDependencies,
                 same_column: SameColumn = equal_columns) -> None:
        self.old = old
        self.new = new
        self.resolver = resolver
        self.view_dependencies = view_dependencies
        self.same_column = same_column
        #: views dropped and created again (changed, or over something that changes): their triggers come back
        self.recreated_views: set[tuple[str, str]] = set()
        self.out: list[Change] = []
        #: (schema, old table name) -> new table name, for translating FK targets
        self.table_renames: dict[tuple[str, str], str] = {}
        #: (schema, new table name) -> {old column: new column}
        self.column_renames: dict[tuple[str, str], dict[str, str]] = {}

    def keyed(self, olds: Iterable[Any], news: Iterable[Any], create: Callable[[Any], Change],
              drop: Callable[[Any], Change], alter: Callable[[Any, Any], Change]) -> None:
        o = {x.key: x for x in olds}
        n = {x.key: x for x in news}
        for k, v in n.items():
            if k not in o:
                self.out.append(create(v))
            elif o[k] != v:
                self.out.append(alter(o[k], v))
        self.out += [drop(v) for k, v in o.items() if k not in n]

    def named(self, olds: Sequence[T], news: Sequence[T], add: Callable[[T], Change],
              drop: Callable[[T], Change], rename: Callable[[str, str], Change]) -> None:
        old_set, new_set = set(olds), set(news)
        gone = [x for x in olds if x not in new_set]
        came = [x for x in news if x not in old_set]
        for x in list(came):
            match = next((g for g in gone if same_but_name(g, x)), None)
            if match is None:
                continue
            if getattr(x, "name", None) is None:
                # the source leaves the name to the database: any name is its name, so the same content is
                # the same constraint (a live one another tool named is not renamed)
                gone.remove(match)
                came.remove(x)
            elif getattr(match, "name", None):
                gone.remove(match)
                came.remove(x)
                self.out.append(rename(match.name, x.name))  # type: ignore[attr-defined]
        self.out += [drop(x) for x in gone]
        self.out += [add(x) for x in came]


def same_but_name(a: Any, b: Any) -> bool:
    return type(a) is type(b) and replace(a, name=b.name) == b


def dependencies_first(keys: Iterable[tuple[str, str]],
                        deps: Mapping[tuple[str, str], Collection[tuple[str, str]]]) -> list[tuple[str, str]]:
    """``keys`` ordered so that each comes after those of ``keys`` it depends on (by name among equals)."""
    wanted = set(keys)
    out: list[tuple[str, str]] = []
    state: dict[tuple[str, str], int] = {}  # 1: being visited, 2: placed

    def visit(k: tuple[str, str]) -> None:
        if state.get(k):
            return  # placed, or a cycle (which the database itself would have refused)
        state[k] = 1
        for d in sorted(deps.get(k, ())):
            if d in wanted:
                visit(d)
        state[k] = 2
        out.append(k)

    for k in sorted(wanted):
        visit(k)
    return out
