"""Backups of MariaDB databases (issue 19): mariadb-dump round trips of a million rows with equal row counts and
checksums, restore checks, the dump check refusing a damaged or cut dump, restores over a database, and the
password kept off every command line."""

from __future__ import annotations

import contextlib
import gzip
import secrets
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pymysql
import pytest

from safeshift import api
from safeshift.backup import backup, restore, table_fingerprint
from safeshift.config import load_config
from safeshift.dialects import get_dialect
from safeshift.dialects.mysql.url import MySQLTarget, parse_url
from safeshift.engines.mysql.backup import MySQLBackup, dump_argv
from safeshift.engines.mysql.tools import Client, client_for, option_file
from safeshift.errors import BackupError, RestoreLockTimeout, ToolMissing
from tests import _mysql
from tests.conftest import MYSQL_ADMIN

ROWS = 1_000_000
MYSQL = get_dialect("mysql")


def _conn(url: str) -> pymysql.Connection:
    t = parse_url(url)
    return pymysql.connect(host=t.host, port=t.port, user=t.user, password=t.password, database=t.database,
                           autocommit=True, charset="utf8mb4")


def populate(url: str, rows: int) -> None:
    """Three related tables holding ``rows`` rows in all (enum, float, binary, JSON, NULLs, quotes, emoji) and
    an empty one, filled with INSERT ... SELECT from MariaDB's sequence tables."""
    customers, items = max(1, rows // 10), max(1, rows // 5)
    orders = max(1, rows - customers - items)
    with contextlib.closing(_conn(url)) as conn, conn.cursor() as cur:
        for sql in (
            "CREATE TABLE customer (id bigint AUTO_INCREMENT PRIMARY KEY, name varchar(60) NOT NULL, "
            "mood enum('sad','ok','happy'), joined datetime(6), score float, payload varbinary(16), doc json)",
            "CREATE TABLE orders (id int AUTO_INCREMENT PRIMARY KEY, customer_id bigint, amount decimal(10,2), "
            "note text, created timestamp NULL, FOREIGN KEY (customer_id) REFERENCES customer (id))",
            "CREATE TABLE item (order_id int, line int, sku char(32), qty double, PRIMARY KEY (order_id, line))",
            "CREATE TABLE empty_one (x int)",
            "INSERT INTO customer (name, mood, joined, score, payload, doc) SELECT CONCAT('c', seq, "
            "IF(seq % 7 = 0, ' \u00e9\U0001F600 ''q'' \\\\ ,', '')), ELT(1 + seq % 3, 'sad', 'ok', 'happy'), "
            "'2024-01-01' + INTERVAL seq SECOND, seq / 3, IF(seq % 11 = 0, NULL, UNHEX(MD5(seq))), "
            f"JSON_OBJECT('n', seq) FROM seq_1_to_{customers}",
            "INSERT INTO orders (customer_id, amount, note, created) SELECT 1 + seq % "
            f"{customers}, seq / 7, IF(seq % 5 = 0, NULL, CONCAT('n', seq)), FROM_UNIXTIME(1700000000 + seq) "
            f"FROM seq_1_to_{orders}",
            f"INSERT INTO item SELECT seq, seq % 3, MD5(seq), seq / 3.0 FROM seq_1_to_{items}",
        ):
            cur.execute(sql)


@pytest.fixture
def mysql_target() -> Iterator[str]:
    """A second, empty database on the same server (a restore target)."""
    yield from _mysql.fresh(MYSQL_ADMIN)


@pytest.fixture
def scratches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the scratch databases this test's safeshift calls make (other tests share the server)."""
    from safeshift.engines.mysql import backup as mysql_backup
    from safeshift.engines.mysql import databases

    names: list[str] = []
    real = databases.scratch_database

    @contextlib.contextmanager
    def recording(url: str, prefix: str = databases.SCRATCH_PREFIX) -> Iterator[str]:
        with real(url, prefix) as scratch:
            names.append(parse_url(scratch).database)
            yield scratch

    monkeypatch.setattr(databases, "scratch_database", recording)
    monkeypatch.setattr(mysql_backup, "scratch_database", recording)
    return names


def _databases() -> set[str]:
    """The scratch databases on the server (other tests' included: compared before and after)."""
    with contextlib.closing(_conn(MYSQL_ADMIN)) as conn, conn.cursor() as cur:
        cur.execute("SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'ss\\_scratch\\_%' "
                    "OR SCHEMA_NAME LIKE 'ss\\_restore\\_%' OR SCHEMA_NAME LIKE 'ss\\_replaced\\_%'")
        return {r[0] for r in cur.fetchall()}


def test_a_million_rows_round_trip(mysql_url: str, mysql_target: str, tmp_path: Path) -> None:
    populate(mysql_url, ROWS)
    source = table_fingerprint(mysql_url, MYSQL)
    assert len(source) == 4 and sum(n for n, _ in source.values()) == ROWS and source["empty_one"][0] == 0

    started = time.monotonic()
    made = backup(mysql_url, tmp_path / "bk", env_name="prod", migrations_version="0001", dialect=MYSQL)
    took = time.monotonic() - started
    m = made.manifest
    assert m.format == "mysqldump" and m.dialect == "mysql" and "MariaDB" in m.server_version
    assert m.verification["kind"] == "read" and "mariadb-dump" in m.tools
    assert stat.S_IMODE(made.path.stat().st_mode) == 0o600 and m.size == made.path.stat().st_size

    restore(made.path, mysql_target, dialect="mysql")
    assert table_fingerprint(mysql_target, MYSQL) == source
    assert took < 45, f"backup of {ROWS:,} rows took {took:.1f} s"


def test_restore_check_compares_the_copy_with_the_source(mysql_url: str, tmp_path: Path, scratches: list[str]) -> None:
    populate(mysql_url, 3_000)
    made = backup(mysql_url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=MYSQL, jobs=3,
                  verify_restore=True)
    v = made.manifest.verification
    assert v["kind"] == "restore" and v["tables"] == 4 and v["rows"] == 3_000 and v["check"]["kind"] == "read"
    assert made.notes == ("--jobs is ignored for MySQL/MariaDB: the dump is one stream read in one consistent "
                          "snapshot.",)
    assert len(scratches) == 1 and not set(scratches) & _databases()  # the scratch database is gone


def test_a_cut_or_damaged_dump_is_refused(mysql_url: str, tmp_path: Path) -> None:
    populate(mysql_url, 2_000)
    made = backup(mysql_url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=MYSQL)
    engine = MySQLBackup()
    data = made.path.read_bytes()

    cut = tmp_path / "cut.dump"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(BackupError, match=r"is damaged or cut short: its gzip stream does not read to the end"):
        engine.check(cut, 10)

    flipped = tmp_path / "flipped.dump"
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0xFF
    flipped.write_bytes(bytes(damaged))
    with pytest.raises(BackupError, match=r"damaged or cut short"):
        engine.check(flipped, 10)

    # a dump tool that stopped part-way but closed its output: the gzip stream is whole, the last line missing
    text = gzip.decompress(data)
    short = tmp_path / "short.dump"
    short.write_bytes(gzip.compress(text[: text.index(b"INSERT INTO `orders`")]))
    with pytest.raises(BackupError, match=r"is incomplete: it lacks the '-- Dump completed' line"):
        engine.check(short, 10)

    not_a_dump = tmp_path / "other.dump"
    not_a_dump.write_bytes(gzip.compress(b"SELECT 1;\n-- Dump completed\n"))
    with pytest.raises(BackupError, match=r"does not start like a mariadb-dump or mysqldump file"):
        engine.check(not_a_dump, 10)

    made.path.write_bytes(bytes(damaged))  # the manifest's sha256 refuses it before anything reads it
    with pytest.raises(BackupError, match=r"is corrupt: its sha256 is"):
        restore(made.path, mysql_url, dialect="mysql")


def test_restore_refuses_a_target_that_holds_tables(mysql_url: str, mysql_target: str, tmp_path: Path) -> None:
    populate(mysql_url, 100)
    made = backup(mysql_url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=MYSQL)
    with pytest.raises(BackupError) as exc:
        restore(made.path, mysql_url, dialect="mysql")
    assert "already holds table customer, table empty_one, table item, table orders; restore into an empty " \
           "database." in str(exc.value)
    restore(made.path, mysql_target, dialect="mysql")
    assert table_fingerprint(mysql_target, MYSQL) == table_fingerprint(mysql_url, MYSQL)


def _project(root: Path, url: str, lock_timeout: str = "5s") -> Path:
    root.mkdir(exist_ok=True)
    (root / "safeshift.toml").write_text(
        f'dialect = "mysql"\n\n[environments.prod]\nurl = "{url}"\nlock_timeout = "{lock_timeout}"\n')
    return root


def test_restore_over_swaps_every_table_at_once(mysql_url: str, tmp_path: Path, scratches: list[str]) -> None:
    populate(mysql_url, 2_000)
    config = load_config(_project(tmp_path / "app", mysql_url, "1s"), env="prod")
    made = api.backup(config, mysql_url)
    before = table_fingerprint(mysql_url, MYSQL)
    with contextlib.closing(_conn(mysql_url)) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM orders WHERE id % 2 = 0")
        cur.execute("ALTER TABLE customer ADD COLUMN z int")
        cur.execute("CREATE TABLE extra (x int)")
    changed = table_fingerprint(mysql_url, MYSQL)
    assert changed != before

    holder = _conn(mysql_url)  # an app transaction that read a table holds its metadata lock
    try:
        holder.begin()
        with holder.cursor() as cur:
            cur.execute("SELECT COUNT(*) FROM orders")
        with pytest.raises(RestoreLockTimeout) as exc:
            api.restore_over(config, made.path, safety_backup=False)
    finally:
        holder.rollback()
        holder.close()
    msg = str(exc.value)
    assert "gave up after lock_timeout (1000 ms) waiting for a metadata lock" in msg and "unchanged;" in msg
    assert "\n" not in msg and table_fingerprint(mysql_url, MYSQL) == changed

    result = api.restore_over(config, made.path)
    assert table_fingerprint(mysql_url, MYSQL) == before
    assert result.safety is not None and result.safety.manifest.dialect == "mysql"
    # each try's staging database and the database the replaced tables go to: all dropped
    assert [n.rsplit("_", 1)[0] for n in scratches] == ["ss_restore", "ss_replaced", "ss_restore", "ss_replaced"]
    assert not set(scratches) & _databases()


def test_the_password_never_reaches_a_command_line_or_a_message(mysql_url: str, tmp_path: Path) -> None:
    database = parse_url(mysql_url).database
    user, password = f"ss_pw_{secrets.token_hex(4)}", "s3cr\"et'\\ pw#" + secrets.token_hex(4)
    with contextlib.closing(_conn(MYSQL_ADMIN)) as admin, admin.cursor() as cur:
        cur.execute("CREATE USER %s@'%%' IDENTIFIED BY %s", (user, password))
        try:
            cur.execute(f"GRANT ALL ON `{database}`.* TO %s@'%%'", (user,))
            cur.execute("GRANT ALL ON `ss\\_scratch\\_%%`.* TO %s@'%%'", (user,))
            from urllib.parse import quote

            url = f"mysql://{user}:{quote(password, safe='')}@127.0.0.1:3306/{database}"
            populate(url, 500)
            made = backup(url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=MYSQL,
                          verify_restore=True)  # the option file carries it to the dump and the client
            assert made.manifest.verification["rows"] == 500
            assert password not in made.manifest.to_json() and "***" in made.manifest.database

            target = MySQLTarget("127.0.0.1", 3306, user, password, database)
            tool = client_for("dump", "10.11.19-MariaDB")
            with option_file(target) as options:
                argv = dump_argv(tool, options, database)
                assert all(password not in arg and user not in arg for arg in argv)
                assert argv[1] == f"--defaults-extra-file={options}" and argv[-1] == database
                assert stat.S_IMODE(options.stat().st_mode) == 0o600
                assert stat.S_IMODE(options.parent.stat().st_mode) == 0o700
            assert not options.exists()

            wrong = url.replace(quote(password, safe=""), quote(password + "x", safe=""))
            with pytest.raises(Exception) as exc:
                backup(wrong, tmp_path / "bk", env_name=None, migrations_version=None, dialect=MYSQL)
            assert password not in str(exc.value) and "***" in str(exc.value)
        finally:
            cur.execute("DROP USER %s@'%%'", (user,))


def test_tools_of_the_other_family_are_refused() -> None:
    with pytest.raises(ToolMissing) as exc:
        client_for("dump", "8.0.36")
    msg = str(exc.value)
    assert msg.startswith("The MySQL 8.0.36 server needs mysqldump of its own family, but PATH only has ")
    assert "MariaDB" in msg and msg.endswith("install mysql-client (MySQL's own, not MariaDB's).")
    found = client_for("client", "10.11.19-MariaDB-0+deb12u1")
    assert isinstance(found, Client) and found.name in ("mariadb", "mysql") and "MariaDB" in found.version


def test_scratch_databases_are_dropped_even_when_their_connection_died(mysql_url: str) -> None:
    from safeshift.engines.mysql.databases import scratch_database

    source = parse_url(mysql_url).database
    with scratch_database(mysql_url) as url:
        name = parse_url(url).database
        assert name.startswith("ss_scratch_") and name in _databases()
        with contextlib.closing(_conn(MYSQL_ADMIN)) as admin, admin.cursor() as cur:
            cur.execute("SELECT ID FROM information_schema.PROCESSLIST WHERE DB = %s", (source,))
            for (pid,) in cur.fetchall():  # as a server's wait_timeout would end an idle session
                cur.execute(f"KILL CONNECTION {int(pid)}")
    assert name not in _databases()


def test_a_user_who_may_not_create_databases_is_told_which_grant(mysql_url: str) -> None:
    from safeshift.engines.mysql.databases import scratch_database
    from safeshift.errors import ConfigError

    database = parse_url(mysql_url).database
    user = f"ss_ro_{secrets.token_hex(4)}"
    with contextlib.closing(_conn(MYSQL_ADMIN)) as admin, admin.cursor() as cur:
        cur.execute("CREATE USER %s@'%%'", (user,))
        try:
            cur.execute(f"GRANT SELECT ON `{database}`.* TO %s@'%%'", (user,))
            with pytest.raises(ConfigError) as exc, \
                    scratch_database(f"mysql://{user}@127.0.0.1:3306/{database}", prefix="ss_restore_"):
                pass
        finally:
            cur.execute("DROP USER %s@'%%'", (user,))
    assert "may not create databases, which a scratch or shadow database needs: grant it CREATE and DROP on " \
           "`ss\\_restore\\_%`.*" in str(exc.value)


def test_a_restore_check_of_a_source_written_throughout_says_which_tables(mysql_url: str, tmp_path: Path) -> None:
    import threading

    populate(mysql_url, 2_000)
    stop = threading.Event()

    def write() -> None:
        with contextlib.closing(_conn(mysql_url)) as conn, conn.cursor() as cur:
            while not stop.is_set():
                cur.execute("INSERT INTO item VALUES (1000000 + FLOOR(RAND() * 1000000000), 0, 'w', 1)")
                time.sleep(0.002)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        with pytest.raises(BackupError) as exc:
            backup(mysql_url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=MYSQL,
                   verify_restore=True)
    finally:
        stop.set()
        writer.join()
    assert str(exc.value).startswith(f"The restore check of {mysql_url} cannot know what the dump holds: item "
                                     "changed while it ran, in each of 3 tries")
    assert not list((tmp_path / "bk").iterdir()), "nothing is kept"
    made = backup(mysql_url, tmp_path / "bk", env_name=None, migrations_version=None, dialect=MYSQL,
                  verify_restore=True)  # quiet again: checked
    assert made.manifest.verification["kind"] == "restore"


def test_restore_over_waits_for_a_running_migration(mysql_url: str, tmp_path: Path) -> None:
    from safeshift.engines.mysql import lock
    from safeshift.errors import RunnerBusy

    populate(mysql_url, 200)
    config = load_config(_project(tmp_path / "app", mysql_url, "1s"), env="prod")
    made = api.backup(config, mysql_url)
    with contextlib.closing(_conn(mysql_url)) as conn, conn.cursor() as cur:
        cur.execute("DELETE FROM orders")
    changed = table_fingerprint(mysql_url, MYSQL)

    from safeshift.engines.mysql.connection import MySQLConnection

    runner = MySQLConnection(_conn(mysql_url))  # another process's migration holds the runner lock
    try:
        assert lock.acquire(runner, 0) is None
        with pytest.raises(RunnerBusy) as exc:
            api.restore_over(config, made.path, safety_backup=False)
    finally:
        runner.close()
    msg = str(exc.value)
    assert msg.startswith(f"Restoring over {mysql_url} waited lock_timeout (1000 ms) for the runner lock, which "
                          "connection ") and msg.endswith("so the database is unchanged; try again once it has finished.")
    assert exc.value.exit_code == 5 and table_fingerprint(mysql_url, MYSQL) == changed
    api.restore_over(config, made.path, safety_backup=False)
    assert table_fingerprint(mysql_url, MYSQL) != changed
