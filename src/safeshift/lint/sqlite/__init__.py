"""Hazard review of SQLite SQL: statements parsed by sqlglot's SQLite dialect, reviewed in file order.

``parse`` turns one statement into a tree (or says why it cannot), ``shape`` holds what is known of a
table's columns and keys (from the schema before the migration, or a CREATE TABLE earlier in the file),
and ``reviewer`` runs the rules, recognising the table rebuild (create, copy, drop, rename) as one change.
"""

from safeshift.lint.sqlite.reviewer import SQLiteReviewer

__all__ = ["SQLiteReviewer"]
