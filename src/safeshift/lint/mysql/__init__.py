"""Hazard review of MySQL and MariaDB SQL: statements parsed by sqlglot's MySQL dialect, reviewed in file order.

``parse`` turns one statement into a tree (or says why it cannot), and ``reviewer`` runs the rules, judging each
ALTER by the algorithm the server would pick (INSTANT, INPLACE or a blocking COPY) against the schema before
the migration, as the lock-safe renderer does.
"""

from safeshift.lint.mysql.reviewer import MySQLReviewer

__all__ = ["MySQLReviewer"]
