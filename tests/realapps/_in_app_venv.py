"""Run by the corpus venv's interpreter (never imported by the tests): the apps' own tools and SQLAlchemy's
inspector, which must see the apps' pinned versions, answer in JSON on stdout.

``upgrade-optuna URL``: optuna's Alembic history to head, through optuna's own Alembic configuration
(``_VersionManager._create_alembic_config``, what optuna's storage upgrade runs).  optuna's CLI
``optuna storage upgrade`` refuses an empty database and ``RDBStorage(url)`` creates the tables from the
models, so this is the one way optuna itself runs its history on a new database.

``alembic-compare URL MODULE:ATTR``: Alembic's autogenerate comparison of the models with the database
(what ``alembic check`` runs; the apps ship no ``alembic check`` configuration that points at an
arbitrary URL), one short line per difference.

``inspect URL``: SQLAlchemy's inspector on a SQLite (or MariaDB) database, as facts (one line each) about
every table.

``create-all URL MODULE:ATTR``: SQLAlchemy's ``create_all`` of the models on the database (MariaDB through
PyMySQL in ``test_mysql_corpus.py``); the tables it made.
"""

from __future__ import annotations

import importlib
import json
import sys
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa

#: bookkeeping tables of Alembic, the apps and safeshift: never compared
BOOKKEEPING = {"alembic_version", "safeshift_migrations", "migrate_version"}


def upgrade_optuna(url: str) -> None:
    import alembic.command
    from optuna.storages._rdb.storage import _VersionManager

    alembic.command.upgrade(_VersionManager._create_alembic_config(SimpleNamespace(url=url)), "head")


def _name(obj: Any) -> str:
    return str(getattr(obj, "name", None) or obj)


def _short(entry: Any) -> str:
    """One Alembic diff entry as ``kind table[.column|name]``."""
    if isinstance(entry, list):  # column modifications come as a list of tuples
        entry = entry[0]
        return f"{entry[0]} {entry[2]}.{entry[3]}"
    kind, obj = entry[0], entry[1]
    if kind in ("add_table", "remove_table"):
        return f"{kind} {obj.name}"
    if kind in ("add_column", "remove_column"):
        return f"{kind} {entry[2]}.{entry[3].name}"
    if kind in ("add_fk", "remove_fk"):
        cols = ",".join(c.name for c in obj.columns)
        return f"{kind} {obj.table.name}({cols})->{obj.referred_table.name}"
    if kind in ("add_index", "remove_index", "add_constraint", "remove_constraint"):
        return f"{kind} {obj.table.name}.{_name(obj)}"
    return f"{kind} {entry[1:]!r}"


def _metadata(spec: str) -> sa.MetaData:
    module, _, attr = spec.partition(":")
    obj: Any = importlib.import_module(module)
    for part in attr.split("."):
        obj = getattr(obj, part)
    metadata: sa.MetaData = getattr(obj, "metadata", obj)
    return metadata


def create_all(url: str, spec: str) -> list[str]:
    metadata = _metadata(spec)
    engine = sa.create_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    return sorted(metadata.tables)


def alembic_compare(url: str, spec: str) -> list[str]:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    metadata = _metadata(spec)
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "compare_server_default": True})
        found = sorted(_short(entry) for entry in compare_metadata(context, metadata))
    return [line for line in found if not any(f" {table}" in line for table in BOOKKEEPING)]


def inspect(url: str) -> list[str]:
    """What SQLite holds, table by table: columns (type, null, default), primary key, foreign keys and
    unique constraints by content, indexes by name and content."""
    insp = sa.inspect(sa.create_engine(url))
    facts: list[str] = []
    for table in sorted(set(insp.get_table_names()) - BOOKKEEPING):
        for c in insp.get_columns(table):
            null = "null" if c["nullable"] else "not null"
            facts.append(f"{table} column {c['name']} {c['type']} {null} default={c.get('default')}")
        pk = insp.get_pk_constraint(table)
        facts.append(f"{table} primary key ({', '.join(pk['constrained_columns'])})")
        for fk in insp.get_foreign_keys(table):
            on = {k: v for k, v in (fk.get("options") or {}).items() if v}
            facts.append(f"{table} foreign key ({', '.join(fk['constrained_columns'])}) -> {fk['referred_table']} "
                         f"({', '.join(fk['referred_columns'])}) {on or ''}".rstrip())
        for u in insp.get_unique_constraints(table):
            facts.append(f"{table} unique ({', '.join(u['column_names'])})")
        for ix in insp.get_indexes(table):
            kind = "unique index" if ix["unique"] else "index"
            cols = ", ".join(str(c) for c in ix["column_names"])
            facts.append(f"{table} {kind} {ix['name']} ({cols})")
        for ck in insp.get_check_constraints(table):
            facts.append(f"{table} check {ck['sqltext']}")
    return sorted(facts)


def main() -> None:
    command, *args = sys.argv[1:]
    if command == "upgrade-optuna":
        upgrade_optuna(args[0])
        return
    sys.path.insert(0, ".")  # the project folder's helper module, as safeshift imports it
    commands = {"alembic-compare": alembic_compare, "create-all": create_all, "inspect": inspect}
    answer = commands[command](*args)
    json.dump(answer, sys.stdout)


if __name__ == "__main__":
    main()
