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

    def executescript(self, text: str) -> None:
        """Run a script of several statements (a SQL-file schema on the shadow database) and commit it.

        On a second connection to the same database opened with multi-statement support, with this session's
        sql_mode and time zone: the server splits the text by its own grammar (backslash escapes, ``#``
        comments, versioned ``/*!...*/`` comments), which a splitter here would only second-guess, and this
        connection keeps refusing several statements in one call, as the runner wants.  Stops at the first
        failing statement with the server's error.
        """
        import pymysql
        from pymysql.constants import CLIENT

        mode, zone = self.execute("SELECT @@SESSION.sql_mode, @@SESSION.time_zone").fetchone()
        raw = self.raw

        def text_of(value: Any) -> Any:
            return value.decode() if isinstance(value, bytes) else value

        script = pymysql.connect(host=raw.host, port=raw.port, user=text_of(raw.user), password=raw.password,
                                 database=text_of(raw.db), unix_socket=raw.unix_socket, charset="utf8mb4",
                                 client_flag=CLIENT.MULTI_STATEMENTS, autocommit=True, connect_timeout=10)
        try:
            with script.cursor() as cur:
                cur.execute("SET SESSION sql_mode = %s, time_zone = %s", (mode, zone))
                cur.execute(text)
                while cur.nextset():
                    pass
        finally:
            script.close()

    def commit(self) -> None:
        self.raw.commit()

    def rollback(self) -> None:
        self.raw.rollback()

    def close(self) -> None:
        self.raw.close()

    @property
    def closed(self) -> bool:
        return not self.raw.open
