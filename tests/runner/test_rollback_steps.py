"""`rollback --steps N` past the oldest applied migration is refused up front, naming how many are applied
(it used to roll everything back without a word)."""

from __future__ import annotations

from pathlib import Path

from tests.runner._project import VERSIONS, error_line, history_rows, make_project, schema_of

V1, V2 = VERSIONS[:2]


def test_steps_beyond_what_is_applied_are_refused(tmp_path: Path, db_url: str) -> None:
    p = make_project(tmp_path, db_url)
    p.add_all()
    p.run("migrate", "--to", V2)
    before = schema_of(db_url)
    refused = p.run("rollback", "--steps", "3", expect=2)
    assert error_line(refused) == ("--steps 3: only 2 migrations are applied; use --steps 2 or --to 0 to roll back "
                                   "all of them.")
    assert history_rows(db_url) == {V1: "applied", V2: "applied"}, "refused before anything ran"
    assert schema_of(db_url) == before
    p.run("rollback", "--steps", "1")
    assert error_line(p.run("rollback", "--steps", "2", expect=2)) == (
        "--steps 2: only 1 migration is applied; use --steps 1 or --to 0 to roll it back.")
    p.run("rollback", "--steps", "1")
    assert history_rows(db_url) == {}
    assert "nothing to roll back" in p.run("rollback", "--steps", "5").stdout  # nothing applied: nothing to refuse
