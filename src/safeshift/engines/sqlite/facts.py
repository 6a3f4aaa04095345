"""Row counts of a SQLite database's tables, for grading review findings (a rebuild of a big table).

SQLite keeps no row estimate of its own unless ANALYZE ran (``sqlite_stat1``), so a table without
one is counted, up to a budget of work: facts are a courtesy and must not make ``review --url``
or the gate of ``migrate`` slow on a large file.  What the budget does not reach stays unknown
(None), which grades as a table with rows.
"""

from __future__ import annotations

import sqlite3
from typing import Any

#: SQLite virtual-machine steps the counts may take in all (a few hundred ms on a laptop)
COUNT_BUDGET = 20_000_000
_PROGRESS_EVERY = 10_000


def table_facts(conn: Any, schema: str = "main") -> dict[str, tuple[int | None, int | None]]:
    """``main.table`` -> (rows, None): from ``sqlite_stat1`` when ANALYZE recorded them, else counted."""
    names = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'").fetchall()]
    analysed: dict[str, int] = {}
    try:
        for table, stat in conn.execute("SELECT tbl, stat FROM sqlite_stat1").fetchall():  # first number: rows
            first = str(stat or "").split(" ", 1)[0]
            if first.isdigit():
                analysed.setdefault(table, int(first))
    except sqlite3.Error:
        pass  # never analysed: no sqlite_stat1
    out: dict[str, tuple[int | None, int | None]] = {}
    steps = [0]

    def spend() -> int:
        steps[0] += _PROGRESS_EVERY
        return 1 if steps[0] > COUNT_BUDGET else 0  # non-zero interrupts the count

    conn.set_progress_handler(spend, _PROGRESS_EVERY)
    try:
        for name in names:
            rows = analysed.get(name)
            if rows is None and steps[0] <= COUNT_BUDGET:
                quoted = '"' + name.replace('"', '""') + '"'
                try:
                    rows = int(conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0])
                except sqlite3.Error:  # interrupted by the budget, or a virtual table's module missing
                    rows = None
            out[f"{schema}.{name}"] = (rows, None)
    finally:
        conn.set_progress_handler(None, 0)
    return out
