"""Objects a Python project declares beside its SQLAlchemy metadata: DDL listeners and alembic_utils entities.

Teams that describe tables with SQLAlchemy declare their functions, triggers, row-level security and
policies either as ``DDL(...)`` elements attached to the metadata or a table
(``event.listen(table, "after_create", DDL(...))``) or as alembic_utils entities (``PGFunction``,
``PGTrigger``, ...).  Their text is the database's to interpret: the canonical form of a function, a
trigger or a policy is what the catalog prints, so we do not parse it.  As for SQL-file sources we run
it on a throwaway shadow database, in the order ``metadata.create_all`` runs it (SQLAlchemy's own DDL
visitor drives a mock connection, so ``execute_if(dialect=...)``/``ddl_if`` and the ``%(table)s``
substitutions are SQLAlchemy's), then introspect the shadow and take from it every kind of object
beside tables.  Tables stay as the metadata declares them (the SQLAlchemy source is exact and fast for
those); DDL that changes a declared table other than switching its row-level security is an error
naming what it changed, never a second, silent source of truth.

alembic_utils is recognised by duck typing (a class from an ``alembic_utils`` module with
``to_sql_statement_create()``), so it never becomes a dependency of safeshift.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine.mock import MockConnection

from safeshift.dialects.base import Dialect
from safeshift.engines.base import engine_for
from safeshift.errors import SourceError, UnsupportedConstruct
from safeshift.model import Schema, make_schema
from safeshift.sources.imports import import_user_module
from safeshift.sources.sqlfiles import SERVER_LACKS, ShadowFactory, run_script
from safeshift.text import first_line

#: events whose DDL builds the schema, run around each CREATE as ``create_all`` runs them
CREATE_EVENTS = ("before_create", "after_create")
#: events whose DDL undoes what the create events did (see ``ddl_listeners``)
DROP_EVENTS = ("before_drop", "after_drop")

#: alembic_utils entity classes whose objects the model represents (their SQL is PostgreSQL's)
ENTITY_KINDS = frozenset({"PGExtension", "PGFunction", "PGTrigger", "PGPolicy", "PGView", "PGMaterializedView"})
#: the SQLAlchemy dialect alembic_utils writes its SQL for
ENTITY_DIALECT = "postgresql"


@dataclass(frozen=True)
class Listener:
    """A DDL element attached to the metadata, a table, an index or a sequence for one create event."""

    #: "the metadata", "table public.users", "index ix_users_email"
    where: str
    event: str
    ddl: Any

    def label(self) -> str:
        text = " ".join(str(getattr(self.ddl, "statement", self.ddl)).split())
        return f"{self.where} ({self.event}: {text[:60]}{'...' if len(text) > 60 else ''})"


@dataclass(frozen=True)
class Entity:
    """A module-level alembic_utils entity found through the ``objects`` key."""

    #: "myapp.db.entities.touch (PGFunction public.touch())"
    label: str
    kind: str
    obj: Any


def owned_by_sqlalchemy(fn: Any) -> bool:
    """Whether an event listener is SQLAlchemy's own (wrapped in partials or its portable methods)."""
    while isinstance(fn, functools.partial):
        fn = fn.func
    target = getattr(fn, "target", None)  # sqlalchemy.util.portable_instancemethod
    module = getattr(fn, "__module__", None) or type(fn).__module__
    if module.startswith("sqlalchemy") and target is not None:
        module = type(target).__module__
    return module.startswith("sqlalchemy")


def _targets(metadata: sa.MetaData, default_schema: str) -> Iterator[tuple[str, Any]]:
    """Everything ``create_all`` fires create events on."""
    yield "the metadata", metadata
    for t in metadata.tables.values():
        yield f"table {t.schema or default_schema}.{t.name}", t
        for ix in t.indexes:
            yield f"index {ix.name} on {t.schema or default_schema}.{t.name}", ix
    for s in metadata._sequences.values():
        yield f"sequence {s.schema or default_schema}.{s.name}", s


def ddl_listeners(metadata: sa.MetaData, default_schema: str) -> tuple[Listener, ...]:
    """The DDL elements listening to create events, in no particular order (``create_all`` orders them).

    DDL elements on ``before_drop``/``after_drop`` are accepted and not read: they undo what the create
    listeners did (``DROP TRIGGER`` before ``drop_all``), and safeshift derives every drop from the
    objects the create listeners made, so reading them would add nothing.  A plain Python function
    listening to any of these events is refused by name: it may do anything, and we cannot know what
    without running arbitrary code against a database.  SQLAlchemy's own listeners (an Enum creating its
    type) are part of what ``create_all`` does and pass.
    """
    found: list[Listener] = []
    refused: list[str] = []
    for where, target in _targets(metadata, default_schema):
        dispatch = getattr(target, "dispatch", None)
        if dispatch is None:
            continue
        for event in (*CREATE_EVENTS, *DROP_EVENTS):
            for fn in getattr(dispatch, event, ()):
                if isinstance(fn, sa.schema.ExecutableDDLElement):
                    if event in CREATE_EVENTS:
                        found.append(Listener(where, event, fn))
                elif not owned_by_sqlalchemy(fn):
                    refused.append(f"{where} ({event}: {getattr(fn, '__qualname__', type(fn).__name__)})")
    if refused:
        raise UnsupportedConstruct(
            "; ".join(refused[:5]) + (f" and {len(refused) - 5} more" if len(refused) > 5 else ""),
            "a Python function run by a SQLAlchemy event listener",
            "safeshift cannot know what a function does: attach a DDL(...) element instead "
            "(event.listen(table, \"after_create\", DDL(...))), or declare the object as an alembic_utils "
            "entity listed in `objects`.")
    return tuple(found)


# -- alembic_utils entities ---------------------------------------------------------------

def entity_kind(obj: Any) -> str | None:
    """The alembic_utils class an object is an instance of (also through a user's subclass), else None."""
    if isinstance(obj, type) or not callable(getattr(obj, "to_sql_statement_create", None)):
        return None
    for cls in type(obj).__mro__:
        module = getattr(cls, "__module__", "") or ""
        if module == "alembic_utils" or module.startswith("alembic_utils."):
            return cls.__name__
    return None


def load_entities(modules: Sequence[str], root: Path) -> tuple[Entity, ...]:
    """The alembic_utils entities the ``objects`` modules hold at module level, alone or in lists/tuples,
    in the order the modules define them (an entity found twice, e.g. imported into a second module,
    counts once).  A kind the model cannot represent (``PGGrantTable``) is an error naming it."""
    seen: set[int] = set()
    found: list[Entity] = []
    for name in modules:
        module = import_user_module(name, root, "`objects` in safeshift.toml", freeze=False)
        holds = False
        for attr, value in list(vars(module).items()):
            items = value if isinstance(value, (list, tuple)) else (value,)
            for item in items:
                kind = entity_kind(item)
                if kind is None:
                    continue
                holds = True
                if id(item) in seen:
                    continue
                seen.add(id(item))
                signature = getattr(item, "signature", "?")
                label = f"{name}.{attr} ({kind} {getattr(item, 'schema', '?')}.{signature})"
                if kind not in ENTITY_KINDS:
                    raise UnsupportedConstruct(label, f"the alembic_utils entity kind {kind}",
                                               "Declare it in SQL (a DDL listener or a migration of its own).")
                found.append(Entity(label, kind, item))
        if not holds:
            raise SourceError(f"'{name}' named by `objects` in safeshift.toml holds no alembic_utils entity at "
                              "module level (alone or in a list); name the modules that define them.")
    return tuple(found)


# -- the shadow database ----------------------------------------------------------------------

def with_declared_objects(declared: Schema, metadata: sa.MetaData, dialect: Dialect,
                          listeners: Sequence[Listener], entities: Sequence[Entity],
                          shadow: ShadowFactory | None) -> Schema:
    """``declared`` (the metadata's own schema) with the objects the listeners and entities create.

    Only called when there is at least one of them, so a plain models module never starts a shadow.
    """
    if shadow is None:
        raise SourceError(
            "The models declare objects through DDL listeners or alembic_utils entities, which safeshift reads "
            "by running them on a throwaway database, and none was given: load the schema through a project "
            "(load_source_schema) or pass shadow= to schema_from_metadata.")
    sa_dialect = dialect.sqlalchemy_dialect()
    if entities and sa_dialect.name != ENTITY_DIALECT:
        raise UnsupportedConstruct(entities[0].label, f"an alembic_utils entity on {dialect.name}",
                                   "alembic_utils entities are PostgreSQL objects.")
    engine = engine_for(dialect)
    with shadow() as url:
        conn: Any = engine.connect(url)
        try:
            run = _Runner(conn, engine, sa_dialect, listeners)
            for e in entities:
                if e.kind == "PGExtension":  # before the tables: a column may use the extension's types
                    run.entity(e)
            metadata.create_all(MockConnection(sa_dialect, run.element))  # type: ignore[arg-type]
            run.entities([e for e in entities if e.kind != "PGExtension"])
            built = engine.introspect(conn)
        finally:
            conn.close()
    return _merge(declared, built, dialect)


class _Runner:
    """Runs what ``create_all`` and the entities emit on the shadow, naming the source of a failure."""

    def __init__(self, conn: Any, engine: Any, sa_dialect: Any, listeners: Sequence[Listener]) -> None:
        self.conn = conn
        self.engine = engine
        self.sa_dialect = sa_dialect
        self.listeners = listeners
        self.schemas: set[str] = set()

    def element(self, obj: Any, *args: Any, **kw: Any) -> None:
        """The mock connection's executor: one DDL element of ``create_all`` (a listener's or SQLAlchemy's)."""
        if not isinstance(obj, sa.schema.DDL):
            self.ensure_schema(obj)
        label = self.label(obj)
        try:
            sql = str(obj.compile(dialect=self.sa_dialect))
        except Exception as exc:  # e.g. a lone % in DDL text, which SQLAlchemy's substitution reads
            raise SourceError(f"{label} cannot be rendered by SQLAlchemy ({type(exc).__name__}: {exc}); "
                              "write a literal % in DDL text as %%.") from exc
        self.execute(sql, label)

    def ensure_schema(self, obj: Any) -> None:
        """Create the schema SQLAlchemy's CREATE of a table, type, sequence or index is in, if still missing.

        ``create_all`` expects the models' schemas to exist.  Creating each one just before its first use
        (IF NOT EXISTS) leaves room for the models' own ``CREATE SCHEMA`` on the metadata's ``before_create``,
        which runs before every table and would fail on a schema made up front.
        """
        element = getattr(obj, "element", None)
        schema = getattr(element, "schema", None) or getattr(getattr(element, "table", None), "schema", None)
        if isinstance(schema, str) and schema not in self.schemas:
            self.schemas.add(schema)
            sql = str(sa.schema.CreateSchema(schema, if_not_exists=True).compile(dialect=self.sa_dialect))
            self.execute(sql, f"Creating schema {schema} for the models")

    def label(self, obj: Any) -> str:
        if isinstance(obj, sa.schema.DDL):
            for listener in self.listeners:
                ddl = listener.ddl
                if ddl.statement == obj.statement and (ddl.target is None or ddl.target is obj.target):
                    return f"The DDL listener on {listener.label()}"
            return f"The DDL listener ({' '.join(obj.statement.split())[:60]})"
        element = getattr(obj, "element", None)
        name = getattr(element, "name", None)
        what = type(obj).__name__
        return f"SQLAlchemy's {what} of {name}" if name else f"SQLAlchemy's {what}"

    def execute(self, sql: str, label: str) -> None:
        try:
            run_script(self.conn, sql)
        except Exception as exc:
            if self.engine.error_code(exc) in SERVER_LACKS:
                raise SourceError(
                    f"{label} needs something the shadow database's server does not have ({first_line(exc)}); "
                    "set shadow_url in safeshift.toml to a server like production's.") from exc
            raise SourceError(f"{label} failed on the shadow database: {first_line(exc)}; fix it and try again."
                              ) from exc

    def entity(self, e: Entity) -> None:
        self.execute(self.entity_sql(e), f"The alembic_utils entity {e.label}")

    def entity_sql(self, e: Entity) -> str:
        return str(e.obj.to_sql_statement_create().compile(dialect=self.sa_dialect))

    def entities(self, pending: list[Entity]) -> None:
        """Run the entities in the order given, again and again while some succeed: alembic_utils lists are
        not in dependency order (a trigger listed before its function), and the server is the judge of
        what depends on what.  When a pass makes no progress, the first failure is the user's."""
        while pending:
            failed: list[tuple[Entity, SourceError]] = []
            for e in pending:
                try:
                    self.entity(e)
                except SourceError as exc:
                    failed.append((e, exc))
            if len(failed) == len(pending):
                raise failed[0][1]
            pending = [e for e, _ in failed]


def _merge(declared: Schema, built: Schema, dialect: Dialect) -> Schema:
    """The metadata's tables, enums and sequences with the shadow's row-level security flags, and every
    other kind from the shadow (extensions, functions, triggers, policies, views, materialized views and
    whatever the model adds); anything else the DDL changed about the declared objects is refused."""
    rls = {t.key: t for t in built.tables}
    tables = [dataclasses.replace(t, row_security=rls[t.key].row_security,
                                  force_row_security=rls[t.key].force_row_security)
              if t.key in rls else t for t in declared.tables]
    namespaces = set(declared.namespaces) | set(built.namespaces)
    expected = make_schema(dialect.name, namespaces=namespaces, tables=tables, enums=declared.enums,
                           sequences=declared.sequences)
    live = make_schema(dialect.name, namespaces=namespaces, tables=built.tables, enums=built.enums,
                       sequences=built.sequences)
    if live != expected:
        from safeshift.diff import diff
        from safeshift.diff.names import named_like
        from safeshift.renames import AssumeNew

        # what the DDL did to the declared objects, as changes from the metadata's schema to the shadow's
        # (constraints the models leave unnamed take the names the shadow gave them: not a change)
        changes = diff(named_like(expected, live), live, None, AssumeNew(), dialect.default_schema)
        if changes:
            shown = "; ".join(f"{c.kind.replace('_', ' ')} {c.target}" for c in changes[:5])
            more = f" and {len(changes) - 5} more" if len(changes) > 5 else ""
            raise SourceError(
                f"The DDL listeners or alembic_utils entities change tables, enums or sequences the SQLAlchemy "
                f"metadata declares ({shown}{more}); safeshift takes those from the metadata alone: declare "
                "the change in the models instead.")
    # every other kind as the shadow holds it, so a kind the model gains later is never left out here
    return dataclasses.replace(built, namespaces=expected.namespaces, tables=expected.tables,
                               enums=expected.enums, sequences=expected.sequences)
