"""Privileges (GRANT/REVOKE) are compared only when the project opts in (``privileges = true``).

With the opt-in, every privilege pair round-trips through the pair oracle on PostgreSQL 15 and 18 (migra
``--with-privileges`` agreeing on 15), column and default privileges are refused by name, verify names a
revoked grant as drift, and a SQLAlchemy source is a usage error naming the key.  Without it, a GRANT
difference is no change at all.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from safeshift.diff import diff
from safeshift.engines.base import IntrospectOptions
from safeshift.engines.postgres.embedded import database_url
from safeshift.errors import UnsupportedConstruct
from tests.objects._pair_oracle import Pair, direct_database, introspect, run_pair
from tests.objects.pairs import PAIRS, PRIVILEGE_ROLES, PRIVILEGES, PRIVILEGES_REFUSED, REFUSED, USERS

ON = IntrospectOptions(privileges=True)


def _admin(url: str) -> str:
    return database_url(url, "postgres")


def _make_roles(admin_url: str) -> None:
    """The pairs' roles on the server behind ``admin_url`` (roles are cluster-wide): made by whichever worker
    comes first, and kept (dropping them would race with another worker's databases)."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        for role in PRIVILEGE_ROLES:
            conn.execute(f"DO $$ BEGIN CREATE ROLE {role} NOLOGIN; "
                         "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$")


@pytest.fixture
def roles(pg_url: str) -> str:
    _make_roles(_admin(pg_url))
    return pg_url


def test_names_are_unique() -> None:
    names = [p.name for p in [*PAIRS, *REFUSED, *PRIVILEGES, *PRIVILEGES_REFUSED]]
    assert len(names) == len(set(names))
    assert len(PRIVILEGES) >= 8 and all(p.privileges for p in PRIVILEGES)


@pytest.mark.parametrize("pair", PRIVILEGES, ids=[p.name for p in PRIVILEGES])
def test_privilege_pair_round_trips(pair: Pair, roles: str) -> None:
    """migra --with-privileges on 15; on 18 also generate's default lock-safe rendering (introspection only)."""
    with psycopg.connect(roles) as conn:
        major = conn.info.server_version // 10000
    run_pair(pair, roles, _admin(roles), with_migra=major == 15, and_lock_safe=major != 15)


@pytest.mark.parametrize("pair", PRIVILEGES_REFUSED, ids=[p.name for p in PRIVILEGES_REFUSED])
def test_privileges_the_model_cannot_hold_are_refused_by_name(pair: Pair, roles: str) -> None:
    with direct_database(_admin(roles), pair.b) as url:
        introspect(url)  # off: not read, so nothing to refuse
        with pytest.raises(UnsupportedConstruct) as caught:
            introspect(url, ON)
    for part in pair.refused:
        assert part in str(caught.value), str(caught.value)


def test_without_the_opt_in_a_grant_difference_is_no_change(roles: str) -> None:
    admin = _admin(roles)
    with direct_database(admin, USERS) as url_a, \
            direct_database(admin, USERS + "GRANT SELECT ON users TO ss_app_reader;\n"
                                                          "REVOKE CREATE ON SCHEMA public FROM PUBLIC;") as url_b:
        a, b = introspect(url_a), introspect(url_b)
        assert a.grants is None and b.grants is None
        assert diff(a, b) == []
        with_grants = diff(introspect(url_a, ON), introspect(url_b, ON))
        assert [c.kind for c in with_grants] == ["grant_privilege"], with_grants
        assert with_grants[0].target == "SELECT on table public.users to ss_app_reader"


def _project(tmp_path: Path, url: str, schema: str, source: str | None, *, privileges: bool = True) -> Path:
    root = tmp_path / "app"
    root.mkdir(parents=True)
    if source is not None:
        (root / "schema").mkdir()
        (root / "schema" / "schema.sql").write_text(source)
    (root / "safeshift.toml").write_text(
        f'schema = "{schema}"\nmigrations = "migrations"\ndialect = "postgresql"\n'
        + ("privileges = true\n" if privileges else "")
        + f'\n[environments.development]\nurl = "{url}"\n')
    return root


def _run(*args: str) -> tuple[int, str]:
    from click.testing import CliRunner

    from safeshift.cli import main

    result = CliRunner().invoke(main, list(args), catch_exceptions=False, env={"SAFESHIFT_ENV": "development"})
    return result.exit_code, result.output


SOURCE = (USERS + "CREATE FUNCTION answer() RETURNS int LANGUAGE sql AS 'SELECT 42';\n"
          "REVOKE EXECUTE ON FUNCTION answer() FROM PUBLIC;\n"
          "GRANT SELECT, INSERT ON users TO ss_app_writer;\nGRANT EXECUTE ON FUNCTION answer() TO ss_app_writer;\n")


def test_verify_with_the_opt_in_names_a_revoked_grant(roles: str, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, roles, "schema/*.sql", SOURCE)
    monkeypatch.chdir(root)
    code, out = _run("generate", "--name", "grants")
    assert code == 0, out
    text = next((root / "migrations").glob("*_grants.sql")).read_text()
    assert 'GRANT SELECT ON TABLE "public"."users" TO "ss_app_writer";' in text, text
    assert 'REVOKE EXECUTE ON ROUTINE "public"."answer"() FROM PUBLIC;' in text, text
    assert "SCHEMA" not in text, text  # the public schema's own privileges come with the database
    code, out = _run("migrate", "--url", roles, "--yes")
    assert code == 0, out
    code, out = _run("verify", "--url", roles)
    assert code == 0, out

    with psycopg.connect(roles, autocommit=True) as c:
        c.execute("REVOKE INSERT ON users FROM ss_app_writer")
        c.execute("GRANT EXECUTE ON FUNCTION answer() TO PUBLIC")
    code, out = _run("verify", "--url", roles)
    assert code != 0, out
    assert "missing privilege INSERT on table public.users to ss_app_writer" in out, out
    assert "extra privilege EXECUTE on function public.answer() to PUBLIC" in out, out

    # without the opt-in the same database is no drift: privileges are neither read nor compared
    (root / "safeshift.toml").write_text((root / "safeshift.toml").read_text().replace("privileges = true\n", ""))
    code, out = _run("verify", "--url", roles)
    assert code == 0, out


def test_a_sqlalchemy_source_with_the_opt_in_is_a_usage_error(pg_url: str, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    root = _project(tmp_path, pg_url, "models:metadata", None)
    (root / "models.py").write_text("import sqlalchemy as sa\nmetadata = sa.MetaData()\n"
                                    "sa.Table('users', metadata, sa.Column('id', sa.BigInteger, primary_key=True))\n")
    monkeypatch.chdir(root)
    monkeypatch.syspath_prepend(str(root))
    code, out = _run("generate", "--name", "first")
    assert code != 0, out
    assert "privileges = true" in out and "SQLAlchemy" in out, out


def test_grant_and_revoke_are_exact_inverses_and_swap_what_the_object_does() -> None:
    from safeshift.changes import GrantPrivilege, RevokePrivilege
    from safeshift.model import Grant

    g = Grant("function", "public", "touch", "PUBLIC", "EXECUTE", arguments="")
    for change in (GrantPrivilege(g), GrantPrivilege(g, created=True), RevokePrivilege(g, dropped=True),
                   RevokePrivilege(g, created=True)):
        assert change.inverse().inverse() == change
    assert RevokePrivilege(g, dropped=True).inverse() == GrantPrivilege(g, created=True)
