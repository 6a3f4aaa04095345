"""Review over the Change objects of the kinds beside tables: what drops or switches off code or row-level
security, and what rewrites a table, is a finding (opt-in rules, as Squawk makes them, fire with include)."""

from __future__ import annotations

from safeshift import changes as ch
from safeshift.lint.changes import review_changes
from safeshift.model import Extension, Function, Policy, Trigger

FN = Function("public", "touch", "", "trigger", "CREATE OR REPLACE FUNCTION public.touch() ...")
TR = Trigger("public", "users", "users_touch", "CREATE TRIGGER users_touch ...")
POL = Policy("public", "users", "own_rows", "SELECT", using="email = CURRENT_USER")


def _rules(changes: list[ch.Change], include: tuple[str, ...] = ()) -> dict[str, str]:
    return {f.rule: f.message for f in review_changes(changes, include=include)}


def test_dropping_code_is_a_finding() -> None:
    found = _rules([ch.DropTrigger(TR), ch.DropFunction(FN), ch.DropExtension(Extension("citext", "public")),
                    ch.SetTriggerState(TR, Trigger(TR.schema, TR.table, TR.name, TR.definition, "disabled"))],
                   include=("drop-trigger",))  # opt-in, as in Squawk
    assert found["drop-trigger"] == ("Dropping trigger users_touch on public.users stops whatever it maintained or "
                                     "enforced.")
    assert found["drop-function"].startswith("Dropping public.touch() breaks the code")
    assert found["drop-extension"].startswith("Dropping extension citext fails while")
    assert found["disable-trigger"] == "Disabling trigger users_touch on public.users lets writes skip what it enforces."


def test_row_level_security_changes_are_findings_when_asked_for() -> None:
    changes: list[ch.Change] = [ch.DropPolicy(POL), ch.SetRowSecurity("public", "users", (True, False), (False, False))]
    assert _rules(changes) == {}  # opt-in, as in Squawk
    found = _rules(changes, include=("drop-policy", "row-level-security"))
    assert found["drop-policy"].startswith("Dropping policy own_rows on public.users changes which rows")
    assert found["row-level-security"] == ("Disabling row-level security on public.users changes what every query "
                                           "on it returns.")


def test_set_logged_is_a_table_rewrite() -> None:
    found = _rules([ch.SetTableStorage("public", "cache", (True, ()), (False, ()))])
    assert found["table-rewrite"] == "SET LOGGED rewrites public.cache under an ACCESS EXCLUSIVE lock."


def test_a_view_dropped_and_created_again_says_so_and_names_the_triggers_that_come_back() -> None:
    from safeshift.model import View

    old = View("public", "titles", "SELECT id FROM posts")
    new = View("public", "titles", "SELECT id, title FROM posts")
    on_view = Trigger("public", "titles", "titles_ins", "CREATE TRIGGER titles_ins INSTEAD OF INSERT ...")
    found = _rules([ch.DropTrigger(on_view), ch.DropView(old), ch.CreateView(new), ch.CreateTrigger(on_view)])
    assert found["drop-view"] == ("View public.titles is dropped and created again in this migration: until it is "
                                  "back, queries on it fail; its triggers (titles_ins) are created again with it.")
    assert _rules([ch.DropView(old)])["drop-view"] == "Dropping a view breaks code that reads from it."
    replaced = _rules([ch.ReplaceView(old, View("public", "titles", "SELECT id FROM posts WHERE id > 0"))],
                      include=("replace-view-or-function",))  # opt-in, as in Squawk
    assert replaced["replace-view-or-function"].startswith("CREATE OR REPLACE changes what public.titles returns")
