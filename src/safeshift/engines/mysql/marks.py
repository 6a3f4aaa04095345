"""A cheap fingerprint of a MySQL/MariaDB database's schema: how a resumed run tells whether a DDL step ran.

The server commits each DDL statement on its own, so a runner killed after that commit and before its
history write leaves the step done and unrecorded.  Before each such step the runner notes this
fingerprint in the history row; the next run compares: unchanged, the step did not happen (run it);
changed, it did (count it).  That is exact because DDL on InnoDB is atomic on MySQL 8 and MariaDB 10.6+
(a statement's change is all there or not at all, also across a crash) and the runner lock keeps every
other safeshift runner out meanwhile.

One query: a count and a sum of CRC32s over one line per table, column, index key (primary and unique keys
are indexes), CHECK, foreign key, view, trigger and routine of the current database (order-free, so no
sorting and no ``group_concat_max_len``), the database named as a literal, which lets MariaDB read only its
folder.  ``TABLE_CONSTRAINTS`` is left out: it says nothing the indexes, checks and foreign keys do not,
and MariaDB opens every table to answer it (about 50 ms on a loaded machine, the rest together ~15 ms).  Only what DDL changes is read - never row counts, ``AUTO_INCREMENT`` values or
times, which the application's writes move.  A statement that changes nothing it sees (a table rebuild,
``TRUNCATE``, a grant) reads as not run and runs again, which for those is harmless.
"""

from __future__ import annotations

from typing import Any

from safeshift.introspect.own import OWN_TABLES

_FINGERPRINT = """
SELECT COUNT(*), COALESCE(SUM(CRC32(line)), 0) FROM (
  SELECT CONCAT_WS('|', 't', TABLE_NAME, TABLE_TYPE, ENGINE, ROW_FORMAT, TABLE_COLLATION, TABLE_COMMENT) AS line
    FROM information_schema.TABLES WHERE TABLE_SCHEMA = %(db)s AND TABLE_NAME NOT IN %(own)s
  UNION ALL
  SELECT CONCAT_WS('|', 'c', TABLE_NAME, COLUMN_NAME, ORDINAL_POSITION, COLUMN_TYPE, IS_NULLABLE,
                   COALESCE(COLUMN_DEFAULT, '~'), EXTRA, COALESCE(COLLATION_NAME, '~'), COLUMN_COMMENT,
                   COALESCE(GENERATION_EXPRESSION, '~'))
    FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = %(db)s AND TABLE_NAME NOT IN %(own)s
  UNION ALL
  SELECT CONCAT_WS('|', 'i', TABLE_NAME, INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME, NON_UNIQUE,
                   COALESCE(SUB_PART, '~'), INDEX_TYPE, COALESCE(COLLATION, '~'))
    FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = %(db)s AND TABLE_NAME NOT IN %(own)s
  UNION ALL
  SELECT CONCAT_WS('|', 'x', CONSTRAINT_NAME, CHECK_CLAUSE)
    FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %(db)s
  UNION ALL
  SELECT CONCAT_WS('|', 'r', TABLE_NAME, CONSTRAINT_NAME, UNIQUE_CONSTRAINT_NAME, UPDATE_RULE, DELETE_RULE,
                   REFERENCED_TABLE_NAME)
    FROM information_schema.REFERENTIAL_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = %(db)s
  UNION ALL
  SELECT CONCAT_WS('|', 'v', TABLE_NAME, VIEW_DEFINITION)
    FROM information_schema.VIEWS WHERE TABLE_SCHEMA = %(db)s
  UNION ALL
  SELECT CONCAT_WS('|', 'g', TRIGGER_NAME, EVENT_OBJECT_TABLE, ACTION_TIMING, EVENT_MANIPULATION, ACTION_STATEMENT)
    FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = %(db)s
  UNION ALL
  SELECT CONCAT_WS('|', 'p', ROUTINE_NAME, ROUTINE_TYPE, ROUTINE_DEFINITION)
    FROM information_schema.ROUTINES WHERE ROUTINE_SCHEMA = %(db)s
) AS schema_lines
"""


def fingerprint(conn: Any) -> str:
    """``<lines>-<crc sum>`` of the schema behind ``conn`` (see the module docstring)."""
    database = conn.execute("SELECT DATABASE()").fetchone()[0]
    count, total = conn.execute(_FINGERPRINT, {"own": tuple(sorted(OWN_TABLES)), "db": database}).fetchone()
    return f"{int(count)}-{int(total)}"
