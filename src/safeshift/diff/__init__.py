"""(old Schema, new Schema, rename answers) → [Change].  Never emits SQL.

The diff works on canonical values, so most of it is set arithmetic and ``==``.  Two
subtleties:
- renames: a column or table rename must not look like drop + create; the Resolver
  (renames.py) decides, and the old side is then translated to the new names before
  constraints are compared (the database rewrites constraint column lists itself);
- name-only differences: a constraint or index whose definition is unchanged but whose
  name differs (typically after a table rename) becomes a cheap rename, not a rebuild.

One module per part: ``tables``, ``views``, ``types`` (collations, domains, composite types),
``code`` (extensions, functions, triggers, policies), ``privileges``; ``base`` holds what they share.
"""

from __future__ import annotations

from safeshift.changes import (
    AlterEnum,
    AlterSequence,
    Change,
    CreateEnum,
    CreateSchema,
    CreateSequence,
    DropEnum,
    DropSchema,
    DropSequence,
)
from safeshift.diff.base import DiffState, SameColumn, ViewDependencies, equal_columns, no_dependencies
from safeshift.diff.code import CodeDiff
from safeshift.diff.privileges import grant_objects, privileges
from safeshift.diff.sequences import SequencesDiff
from safeshift.diff.tables import TablesDiff
from safeshift.diff.types import TypesDiff, type_names
from safeshift.diff.views import ViewsDiff
from safeshift.model import Schema
from safeshift.renames import Questioner, RenameHints, Resolver

__all__ = ["DiffState", "SameColumn", "ViewDependencies", "diff", "grant_objects", "type_names"]


def diff(old: Schema, new: Schema, hints: RenameHints | None = None,
         questioner: Questioner | None = None, default_schema: str = "public",
         view_dependencies: ViewDependencies | None = None,
         same_column: SameColumn | None = None) -> list[Change]:
    """Changes that turn ``old`` into ``new``; raises AmbiguousRename for unanswered look-alikes.

    ``view_dependencies`` (the dialect's) orders views: created after the views they read, dropped
    before them, and a view that reads a changed or dropped view is dropped and created again with it.
    ``same_column`` (the dialect's) says which differing columns the database would not tell apart
    (SQLite: ``VARCHAR(40)`` and ``VARCHAR(80)``): no change for them; exact equality without it.
    """
    resolver = Resolver(hints, questioner)
    differ = _Differ(old, new, resolver, view_dependencies or no_dependencies, same_column or equal_columns)
    changes = differ.run()
    changes += privileges(old, new, changes, default_schema, differ.table_renames)
    resolver.finish(default_schema)
    return changes


class _Differ(TypesDiff, CodeDiff, TablesDiff, SequencesDiff, ViewsDiff):
    """The parts together, run in the order later parts rely on (views look at the table changes,
    triggers at the views dropped and created again)."""

    def run(self) -> list[Change]:
        out = self.out
        old_ns, new_ns = set(self.old.namespaces), set(self.new.namespaces)
        out += [CreateSchema(n) for n in sorted(new_ns - old_ns)]
        self.keyed(self.old.enums, self.new.enums, CreateEnum, DropEnum, AlterEnum)
        self.keyed(self.old.sequences, self.new.sequences, CreateSequence, DropSequence, AlterSequence)
        self.user_types()
        self.extensions()
        self.functions()
        self.tables()
        self.hand_over_sequences()
        self.split_sql_body_functions()
        self.views()
        self.triggers()
        self.policies()
        out += [DropSchema(n) for n in sorted(old_ns - new_ns)]
        return out
