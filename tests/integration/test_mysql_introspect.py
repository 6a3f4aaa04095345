"""MariaDB introspection is canonical: a table made by hand-written DDL and the same table declared in
SQLAlchemy (converted by safeshift, and made by SQLAlchemy's own create_all) come back as one model, with
none of the server's spellings (``int(11)``, ``tinyint(1)``, ``current_timestamp()``, the default
charset, RESTRICT for NO ACTION, the foreign key's own index) showing up as a difference."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from tests.oracle import schema_from

from safeshift.dialects import dialect_for_url
from safeshift.diff import diff
from safeshift.engines import engine_for
from safeshift.errors import SafeshiftError, UnsupportedConstruct

HAND_DDL = [
    """CREATE TABLE users (
        id int(11) NOT NULL AUTO_INCREMENT,
        email varchar(100) NOT NULL,
        active tinyint(1) DEFAULT 1,
        score decimal(10,2) DEFAULT '1.5',
        hits int(10) unsigned NOT NULL DEFAULT '0',
        kind enum('a','b') NOT NULL DEFAULT 'a',
        created timestamp NOT NULL DEFAULT CURRENT_TIMESTAMP,
        updated datetime DEFAULT NULL ON UPDATE CURRENT_TIMESTAMP,
        payload json,
        note text COLLATE utf8mb4_bin,
        PRIMARY KEY (id),
        UNIQUE KEY uq_users_email (email),
        KEY ix_users_note (note(20)),
        CONSTRAINT score_ok CHECK (score >= 0)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4""",
    """CREATE TABLE posts (
        id bigint(20) NOT NULL AUTO_INCREMENT PRIMARY KEY,
        user_id int(11) NOT NULL,
        body text,
        CONSTRAINT fk_posts_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
        FULLTEXT KEY ft_posts_body (body)
    )""",
]


def _metadata() -> sa.MetaData:
    from sqlalchemy.dialects import mysql

    md = sa.MetaData()
    sa.Table("users", md,
             sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("email", sa.String(100), nullable=False),
             sa.Column("active", sa.Boolean, server_default=sa.text("1")),
             sa.Column("score", sa.Numeric(10, 2), server_default="1.5"),
             sa.Column("hits", mysql.INTEGER(unsigned=True), nullable=False, server_default="0"),
             sa.Column("kind", sa.Enum("a", "b", name="kind"), nullable=False, server_default="a"),
             sa.Column("created", mysql.TIMESTAMP, nullable=False, server_default=sa.func.current_timestamp()),
             sa.Column("updated", sa.DateTime,
                       server_default=sa.text("NULL ON UPDATE CURRENT_TIMESTAMP")),
             sa.Column("payload", sa.JSON),
             sa.Column("note", sa.Text(collation="utf8mb4_bin")),
             sa.UniqueConstraint("email", name="uq_users_email"),
             sa.CheckConstraint("score >= 0", name="score_ok"),
             sa.Index("ix_users_note", sa.text("note(20)")))
    sa.Table("posts", md,
             sa.Column("id", sa.BigInteger, primary_key=True),
             sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id", name="fk_posts_user", ondelete="CASCADE"),
                       nullable=False),
             sa.Column("body", sa.Text),
             sa.Index("ft_posts_body", "body", mysql_prefix="FULLTEXT"))
    return md


def _introspect(url: str) -> Any:
    dialect = dialect_for_url(url)
    conn = engine_for(dialect).connect(url)
    try:
        return engine_for(dialect).introspect(conn)
    finally:
        conn.close()


def _run(url: str, statements: list[str]) -> None:
    dialect = dialect_for_url(url)
    conn = engine_for(dialect).connect(url)
    try:
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()


def test_hand_written_ddl_reads_as_the_models(mysql_url: str) -> None:
    _run(mysql_url, HAND_DDL)
    live = _introspect(mysql_url)
    declared = schema_from(_metadata(), dialect_for_url(mysql_url))
    assert diff(live, declared) == []
    users = live.table("default", "users")
    assert users is not None
    by_name = {c.name: c for c in users.columns}
    assert by_name["id"].type == "int" and by_name["id"].serial
    assert by_name["active"].type == "tinyint(1)"
    assert by_name["hits"].type == "int unsigned"
    assert by_name["payload"].type == "json"
    assert by_name["updated"].default is None and by_name["updated"].on_update == "current_timestamp()"
    assert by_name["note"].collation == "utf8mb4_bin" and by_name["email"].collation is None
    assert [c.name for c in users.checks] == ["score_ok"]  # MariaDB's json_valid CHECK is the json type's


def test_create_all_reads_as_the_models(mysql_url: str) -> None:
    engine = sa.create_engine(mysql_url.replace("mysql://", "mysql+pymysql://", 1))
    try:
        _metadata().create_all(engine)
    finally:
        engine.dispose()
    live = _introspect(mysql_url)
    assert diff(live, schema_from(_metadata(), dialect_for_url(mysql_url))) == []


def test_a_character_set_in_a_type_is_refused_by_name(mysql_url: str) -> None:
    from sqlalchemy.dialects import mysql

    md = sa.MetaData()
    sa.Table("t", md, sa.Column("id", sa.Integer, primary_key=True),
             sa.Column("name", mysql.VARCHAR(20, charset="latin1")))
    with pytest.raises(SafeshiftError, match="character set"):
        schema_from(md, dialect_for_url(mysql_url))


def test_objects_the_model_does_not_hold_are_refused_by_name(mysql_url: str) -> None:
    """Views, triggers, routines, events and partitioning are not read on MySQL yet: introspection names
    each instead of comparing the database without them."""
    _run(mysql_url, [
        "CREATE TABLE accounts (id int NOT NULL PRIMARY KEY, n int)",
        "CREATE VIEW active_accounts AS SELECT id FROM accounts WHERE n > 0",
        "CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts FOR EACH ROW SET NEW.n = NEW.n + 1",
        "CREATE FUNCTION twice(x int) RETURNS int DETERMINISTIC RETURN x * 2",
        "CREATE TABLE logs (id int NOT NULL PRIMARY KEY) PARTITION BY HASH (id) PARTITIONS 2",
    ])
    with pytest.raises(UnsupportedConstruct) as caught:
        _introspect(mysql_url)
    for named in ("view active_accounts", "trigger accounts_touch", "function twice", "partitioned table logs"):
        assert named in str(caught.value), str(caught.value)


def test_the_password_is_never_printed() -> None:
    from safeshift.errors import ConnectionFailed

    url = "mysql://root:s3cr3t-pw@127.0.0.1:3306/ss_test_absent_db"
    with pytest.raises(ConnectionFailed) as caught:
        engine_for(dialect_for_url(url)).connect(url)
    assert "s3cr3t-pw" not in str(caught.value)


def test_checks_of_the_same_name_on_two_tables_stay_apart(mysql_url: str) -> None:
    """MariaDB names a CHECK per table (MySQL 8 per database): the query joins through TABLE_CONSTRAINTS, which
    MySQL 8 has too, and each table keeps only its own clause."""
    _run(mysql_url, ["CREATE TABLE a (id int PRIMARY KEY, n int, doc json, CONSTRAINT n_ok CHECK (n > 0))",
                     "CREATE TABLE b (id int PRIMARY KEY, n int, doc json, CONSTRAINT n_ok CHECK (n < 5))"])
    live = _introspect(mysql_url)
    got = {t.name: [(c.name, c.expression) for c in t.checks] for t in live.tables}
    assert got == {"a": [("n_ok", "`n` > 0")], "b": [("n_ok", "`n` < 5")]}
    assert all(t.columns[-1].type == "json" for t in live.tables)


def test_check_rows_read_mysql8s_columns(mysql_url: str) -> None:
    """MySQL 8's CHECK_CONSTRAINTS has no TABLE_NAME: the rows are read by column name, so the same reader
    takes the join's result there (a real cursor of that shape here, from a SELECT of literals)."""
    from safeshift.introspect.mysql import check_rows

    dialect = dialect_for_url(mysql_url)
    conn = engine_for(dialect).connect(mysql_url)
    try:
        cur = conn.execute("SELECT 'a' AS TABLE_NAME, 'n_ok' AS CONSTRAINT_NAME, 'def' AS CONSTRAINT_CATALOG, "
                           "DATABASE() AS CONSTRAINT_SCHEMA, 'n_ok' AS CONSTRAINT_NAME, '(`n` > 0)' AS CHECK_CLAUSE")
        assert check_rows(cur) == [("a", "n_ok", "(`n` > 0)")]
    finally:
        conn.close()


def test_an_ignored_index_is_refused_by_name(mysql_url: str) -> None:
    """MariaDB's IGNORED index (MySQL 8's INVISIBLE one) is not in the model: compared as a plain index, a
    difference in it would go unseen, so introspection names it."""
    _run(mysql_url, ["CREATE TABLE t (id int PRIMARY KEY, n int, KEY ix_t_n (n) IGNORED)"])
    with pytest.raises(UnsupportedConstruct, match=r"index t\.ix_t_n"):
        _introspect(mysql_url)


def test_quotes_inside_string_literals_read_as_the_models(mysql_url: str) -> None:
    """MariaDB prints a quote inside a string of a CHECK clause or a generated column as ``\\'``; a source
    writes ``''``: both are one spelling in the model, and the DDL made from it builds the same table."""
    from tests.oracle import run_oracle

    md = sa.MetaData()
    sa.Table("notes", md, sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
             sa.Column("body", sa.String(20)),
             sa.Column("shown", sa.String(40), sa.Computed("concat(body, ' it''s')")),
             sa.CheckConstraint("body <> 'o''k'", name="body_ok"))
    engine = sa.create_engine(mysql_url.replace("mysql://", "mysql+pymysql://", 1))
    try:
        md.create_all(engine)
    finally:
        engine.dispose()
    dialect = dialect_for_url(mysql_url)
    declared = schema_from(md, dialect)
    assert diff(_introspect(mysql_url), declared) == []
    _run(mysql_url, ["DROP TABLE notes"])
    run_oracle(mysql_url, declared, declared)
