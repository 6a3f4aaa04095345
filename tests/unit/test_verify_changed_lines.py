"""verify names an index or constraint whose definition differs under the same name in one "changed" line
saying what differs inside it — not an "extra" and a "missing" line, which read alike when only a direction,
a predicate or an operator class differs (issue 16)."""

from __future__ import annotations

from safeshift.model import Check, Column, Index, IndexElement, Table, make_schema
from safeshift.verify import drift_between


def _users(index: Index, check: Check) -> Table:
    return Table("public", "users", (Column("id", "bigint", nullable=False), Column("email", "text")),
                 indexes=(index,), checks=(check,))


def test_a_changed_index_and_check_are_one_line_each_naming_what_differs() -> None:
    live = make_schema("postgresql", tables=[_users(Index("users_email", (IndexElement("email"),)),
                                                    Check("users_email_check", "email <> ''"))])
    expected = make_schema("postgresql", tables=[_users(
        Index("users_email", (IndexElement("email", descending=True, opclass="text_pattern_ops"),),
              where="email IS NOT NULL"),
        Check("users_email_check", "length(email) > 3"))])
    assert drift_between(live, expected).render_text().splitlines() == [
        "changed check public.users.users_email_check: expression: live email <> '', expected length(email) > 3",
        "changed index public.users_email: elements: live ({value=email}), expected ({value=email, "
        "descending=True, opclass=text_pattern_ops}); where: live null, expected email IS NOT NULL",
    ]
