"""GRANT and REVOKE, compared only when both schemas hold privileges (the project opted in)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace

from safeshift.changes import (
    Change,
    CreateFunction,
    CreateSequence,
    CreateTable,
    CreateView,
    DropFunction,
    DropSequence,
    DropTable,
    DropView,
    GrantPrivilege,
    RecreateFunction,
    RevokePrivilege,
)
from safeshift.model import (
    DEFAULT_GRANTS,
    Grant,
    Schema,
)

#: (object type, schema, name, arguments): what a Grant is on
_GrantObject = tuple[str, str, str, str | None]


def privileges(old: Schema, new: Schema, changes: Sequence[Change], default_schema: str,
                table_renames: Mapping[tuple[str, str], str]) -> list[Change]:
    """GRANT and REVOKE changes, when both schemas hold privileges (the project opted in; see Schema.grants).

    An object that lives through the changes is compared grant by grant.  One that is created starts
    from what a CREATE gives (``DEFAULT_GRANTS``: EXECUTE for PUBLIC on a function), so a new function
    whose source revokes that gets a REVOKE, and a new table only its GRANTs.  One that is dropped takes
    its privileges with it: its REVOKEs are marked ``dropped`` and render nothing, and their inverses put
    the privileges back after the down section creates it again.  One dropped and created again (a view
    re-created because a view it reads changed, a function whose result type changes) is both: the
    privileges it had leave with the DROP and the ones it should have are granted after the CREATE.
    """
    if old.grants is None or new.grants is None:
        return []
    old_by = _grants_by_object(old.grants, table_renames)
    new_by = _grants_by_object(new.grants, {})
    old_objects = {("table", k[1], table_renames[(k[1], k[2])], None) if k[0] == "table" and (k[1], k[2])
                   in table_renames else k for k in grant_objects(old, default_schema)}
    new_objects = grant_objects(new, default_schema)
    made = {k for c in changes for k in _objects_of(c, "create")}
    gone = {k for c in changes for k in _objects_of(c, "drop")}
    recreated = made & gone
    functions = {k for k in old_objects | new_objects if k[0] == "function"}
    out: list[Change] = []
    for obj in sorted(old_by.keys() | new_by.keys() | functions, key=lambda k: (k[0], k[1], k[2], k[3] or "")):
        before = obj in old_objects or obj in old_by
        after = obj in new_objects or obj in new_by
        was, will = old_by.get(obj, {}), new_by.get(obj, {})
        default: dict[tuple[str, ...], Grant] = {g.key: g for g in _default_grants(obj)}
        if before and after and obj not in recreated:
            steps = [(was, will, False, False)]
        else:
            steps = ([(was, default, False, True)] if before else []) + ([(default, will, True, False)] if after else [])
        for a, b, created, dropped in steps:
            out += [RevokePrivilege(g, created, dropped) for k, g in a.items() if b.get(k) != g]
            out += [GrantPrivilege(g, created, dropped) for k, g in b.items() if a.get(k) != g]
    return out


def _grants_by_object(grants: Iterable[Grant], table_renames: Mapping[tuple[str, str], str]
                      ) -> dict[_GrantObject, dict[tuple[str, ...], Grant]]:
    """Grants grouped by their object; a renamed table's under its new name (RENAME keeps the grants)."""
    out: dict[_GrantObject, dict[tuple[str, ...], Grant]] = {}
    for g in grants:
        if g.object_type == "table" and (g.schema, g.name) in table_renames:
            g = replace(g, name=table_renames[(g.schema, g.name)])
        out.setdefault(g.object_key, {})[g.key] = g
    return out


def grant_objects(s: Schema, default_schema: str) -> set[_GrantObject]:
    """Every object of ``s`` that can hold privileges: schemas, tables, views, sequences (also those
    implied by serial and identity columns, named as PostgreSQL names them when the name fits), functions."""
    out: set[_GrantObject] = {("schema", n, n, None) for n in (*s.namespaces, default_schema)}
    out |= {("table", t.schema, t.name, None) for t in s.tables}
    out |= {("table", v.schema, v.name, None) for v in s.views}
    out |= {("sequence", q.schema, q.name, None) for q in s.sequences}
    out |= {("sequence", t.schema, f"{t.name}_{c.name}_seq", None) for t in s.tables for c in t.columns
            if c.serial or c.identity is not None}
    out |= {("function", f.schema, f.name, f.arguments) for f in s.functions}
    return out


def _objects_of(change: Change, verb: str) -> list[_GrantObject]:
    """The privilege-holding objects ``change`` creates (``verb`` "create") or drops ("drop")."""
    if isinstance(change, RecreateFunction):
        f = change.new if verb == "create" else change.old
        return [("function", f.schema, f.name, f.arguments)]
    if change.verb != verb:
        return []
    if isinstance(change, (CreateTable, DropTable)):
        t = change.table
        table: _GrantObject = ("table", t.schema, t.name, None)
        return [table] + [("sequence", t.schema, f"{t.name}_{c.name}_seq", None)
                          for c in t.columns if c.serial or c.identity is not None]
    if isinstance(change, (CreateView, DropView)):
        return [("table", change.view.schema, change.view.name, None)]
    if isinstance(change, (CreateSequence, DropSequence)):
        return [("sequence", change.sequence.schema, change.sequence.name, None)]
    if isinstance(change, (CreateFunction, DropFunction)):
        f = change.function
        return [("function", f.schema, f.name, f.arguments)]
    return []


def _default_grants(obj: _GrantObject) -> list[Grant]:
    kind, schema, name, arguments = obj
    return [Grant(kind, schema, name, grantee, privilege, arguments=arguments)  # type: ignore[arg-type]
            for grantee, privilege in DEFAULT_GRANTS.get(kind, ())]
