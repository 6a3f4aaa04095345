"""A PyMySQL connection with the small DB-API surface the rest of safeshift calls on every engine's
connections: ``conn.execute(sql).fetchall()``, ``conn.autocommit = True``, ``commit``/``rollback``/``close``
(as sqlite3's and psycopg's connections have)."""

from __future__ import annotations

from typing import Any


class MySQLConnection:
    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def execute(self, sql: str, params: Any = None) -> Any:
        cur = self.raw.cursor()
        cur.execute(sql, params)
        return cur

    @property
    def autocommit(self) -> bool:
        return bool(self.raw.get_autocommit())

    @autocommit.setter
    def autocommit(self, on: bool) -> None:
        self.raw.autocommit(on)

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return not self.raw.open
