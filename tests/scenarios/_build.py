"""Tiny helpers for writing scenarios as data: a MetaData is a list of table makers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

Maker = Callable[[sa.MetaData], Any]


def build(*makers: Maker) -> Callable[[], sa.MetaData]:
    """A fresh MetaData per call, so a scenario's A and B never share objects."""

    def make() -> sa.MetaData:
        md = sa.MetaData()
        for m in makers:
            m(md)
        return md

    return make


def table(name: str, *items: Callable[[], Any], **kw: Any) -> Maker:
    """A table maker; ``items`` are thunks so every MetaData gets its own Column objects."""

    def make(md: sa.MetaData) -> sa.Table:
        return sa.Table(name, md, *(i() for i in items), **kw)

    return make


def col(name: str, type_: Any, *args: Any, **kw: Any) -> Callable[[], sa.Column[Any]]:
    return lambda: sa.Column(name, type_() if isinstance(type_, type) else type_, *args, **kw)


def pk(name: str = "id", type_: Any = sa.Integer, **kw: Any) -> Callable[[], sa.Column[Any]]:
    return col(name, type_, primary_key=True, **kw)


def fk(name: str, target: str, type_: Any = sa.Integer, *, nullable: bool = True, **fkw: Any) -> Callable[
        [], sa.Column[Any]]:
    return lambda: sa.Column(name, type_() if isinstance(type_, type) else type_, sa.ForeignKey(target, **fkw),
                             nullable=nullable)


def thunk(factory: Callable[[], Any]) -> Callable[[], Any]:
    """For constraints and indexes: anything built fresh for each MetaData."""
    return factory


def users(*extra: Callable[[], Any], name: str = "users", **kw: Any) -> Maker:
    """The workhorse table: id, email, and whatever a scenario adds."""
    return table(name, pk(), col("email", sa.String(100), nullable=False), *extra, **kw)


def index(name: str, table_name: str, *exprs: str | Callable[[sa.Table], Any], **kw: Any) -> Maker:
    """An index on an existing table; expressions and ``*_where`` values may be functions of the table."""

    def make(md: sa.MetaData) -> sa.Index:
        t = md.tables[table_name]
        args = [t.c[e] if isinstance(e, str) else e(t) for e in exprs]
        opts = {k: (v(t) if callable(v) else v) for k, v in kw.items()}
        return sa.Index(name, *args, **opts)

    return make
