"""Configuration: finding the file, validating it, environments, URLs, init, redaction."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from safeshift.config import (
    Config,
    Environment,
    load_config,
    missing_url_error,
    redact_url,
    resolve_url,
    write_default_config,
)
from safeshift.errors import ConfigError

ENV_NAMES = ("SAFESHIFT_ENV", "DATABASE_URL", "SS_TEST_DB", "SS_TEST_FROM_DOTENV", "SS_TEST_KEPT")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No stray variables in, none left behind (.env loading writes to os.environ)."""
    for name in ENV_NAMES:
        # set first, so that undo removes what a .env load sets later (delenv of an unset name records nothing)
        monkeypatch.setenv(name, "")
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def toml(folder: Path, text: str, name: str = "safeshift.toml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


FULL = """\
schema = "app.models:Base"
migrations = "db/migrations"
dialect = "sqlite"

[environments.development]

[environments.staging]
url = "${SS_TEST_DB}"
lock_timeout = "2s"

[environments.production]
url = "postgresql://deploy:s3cret@db.internal/app"
statement_timeout = "15min"
on_failure = "restore"
health = "curl -fsS http://localhost/health"
require_rehearsal = true
backup = false
"""


# -- finding the file ---------------------------------------------------------------------------

def test_full_file_from_a_subfolder(tmp_path: Path) -> None:
    path = toml(tmp_path / "proj", FULL)
    sub = tmp_path / "proj" / "src" / "app"
    sub.mkdir(parents=True)
    config = load_config(sub)
    assert config.root == path.parent.resolve()
    assert config.config_file == path.resolve()
    assert config.schema == "app.models:Base"
    assert config.migrations_dir == (tmp_path / "proj" / "db" / "migrations").resolve()
    assert config.migrations_dir.is_absolute()
    assert config.dialect == "sqlite"
    assert sorted(config.environments) == ["development", "production", "staging"]
    assert config.env_name == "development"
    assert config.environment() == Environment("development")
    prod = config.environments["production"]
    assert prod == Environment(
        name="production", url="postgresql://deploy:s3cret@db.internal/app", confirm=True, backup=False,
        lock_timeout="5s", statement_timeout="15min", on_failure="restore",
        health="curl -fsS http://localhost/health", require_rehearsal=True,
    )
    assert config.environments["staging"].lock_timeout == "2s"
    assert not config.environments["staging"].confirm


def test_pyproject_table(tmp_path: Path) -> None:
    toml(tmp_path, '[project]\nname = "x"\n\n[tool.safeshift]\nschema = "schema/*.sql"\n', "pyproject.toml")
    config = load_config(tmp_path)
    assert config.config_file == (tmp_path / "pyproject.toml").resolve()
    assert config.schema == "schema/*.sql"
    assert config.dialect == "postgresql"
    assert config.migrations_dir == (tmp_path / "migrations").resolve()


def test_pyproject_without_table_is_skipped(tmp_path: Path) -> None:
    toml(tmp_path, 'schema = "a:b"\n')
    toml(tmp_path / "pkg", '[project]\nname = "pkg"\n', "pyproject.toml")
    config = load_config(tmp_path / "pkg")
    assert config.config_file == (tmp_path / "safeshift.toml").resolve()


def test_nearest_folder_wins_and_safeshift_toml_beats_pyproject(tmp_path: Path) -> None:
    toml(tmp_path, 'schema = "outer:x"\n')
    toml(tmp_path / "inner", '[tool.safeshift]\nschema = "inner:x"\n', "pyproject.toml")
    assert load_config(tmp_path / "inner").schema == "inner:x"
    toml(tmp_path / "inner", 'schema = "inner_toml:x"\n')
    assert load_config(tmp_path / "inner").schema == "inner_toml:x"


def test_no_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(tmp_path)
    assert config == Config(root=tmp_path.resolve(), config_file=None, schema=None,
                            migrations_dir=tmp_path.resolve() / "migrations", dialect="postgresql")
    assert config.environment() == Environment("development")
    assert Environment.default("production").confirm


# -- mistakes in the file ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('schema = "a:b"\nmigratons = "m"\n', "Unknown key 'migratons' in safeshift.toml; did you mean 'migrations'?"),
        ('colour = "blue"\n', "Unknown key 'colour' in safeshift.toml; expected one of: backups, dialect, "
                              "drizzle, environments, format, ignore, migrations, objects, privileges, schema, shadow_url."),
        ('[environments.production]\nlock_timout = "5s"\n',
         "Unknown key 'lock_timout' in [environments.production] in safeshift.toml; did you mean 'lock_timeout'?"),
        ('[environments.production]\nconfirm = "yes"\n',
         "'confirm' in [environments.production] in safeshift.toml must be true or false, not 'yes'."),
        ('[environments.production]\non_failure = "panic"\n',
         "'on_failure' in [environments.production] in safeshift.toml must be \"rollback\", \"restore\" or "
         "\"stop\", not 'panic'."),
        ('[environments.production]\nlock_timeout = "soon"\n',
         "'lock_timeout' in [environments.production] in safeshift.toml must be a duration such as \"5s\" or "
         "\"500ms\", not 'soon'."),
        ('[environments.production]\nlock_timeout = 5\n',
         "'lock_timeout' in [environments.production] in safeshift.toml must be a duration such as \"5s\" or "
         "\"500ms\", not 5."),
        ("schema = 3\n", "'schema' in safeshift.toml must be a string"),
        ('environments = "prod"\n', "'environments' in safeshift.toml must be a table"),
        ('[environments]\nproduction = 1\n', "'production' in [environments] in safeshift.toml must be a table"),
        ('dialect = "oracle"\n', "safeshift.toml: Unknown dialect 'oracle'; use \"postgresql\", \"sqlite\" or \"mysql\"."),
    ],
)
def test_mistakes_name_the_key_and_file(tmp_path: Path, text: str, message: str) -> None:
    toml(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value).startswith(message)


def test_mistake_in_pyproject_names_the_table(tmp_path: Path) -> None:
    toml(tmp_path, '[tool.safeshift]\nshema = "a:b"\n', "pyproject.toml")
    with pytest.raises(ConfigError, match=r"^Unknown key 'shema' in \[tool\.safeshift\] in pyproject\.toml; "
                                          r"did you mean 'schema'\?$"):
        load_config(tmp_path)


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    toml(tmp_path, 'schema = "a:b"\ndialect = "sqlite"\n\n[environments.production]\nurl\n')
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert str(info.value) == ("safeshift.toml line 5: Expected '=' after a key in a key/value pair; "
                               "fix the file and try again.")


def test_malformed_toml_outside_the_current_folder_shows_the_path(tmp_path: Path) -> None:
    path = toml(tmp_path / "elsewhere", "schema = \n")
    other = tmp_path / "cwd"
    other.mkdir()
    os.chdir(other)
    with pytest.raises(ConfigError, match=rf"^{path} line 1: .*; fix the file and try again\.$"):
        load_config(path.parent)


# -- environments ----------------------------------------------------------------------------------

def test_active_environment_from_argument_then_variable_then_default(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    toml(tmp_path, FULL)
    assert load_config(tmp_path).env_name == "development"
    monkeypatch.setenv("SAFESHIFT_ENV", "staging")
    assert load_config(tmp_path).env_name == "staging"
    config = load_config(tmp_path, env="production")
    assert config.env_name == "production"
    assert config.environment().confirm


def test_unknown_environment(tmp_path: Path) -> None:
    toml(tmp_path, "[environments.production]\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path, env="stagin")
    assert str(info.value) == "Unknown environment 'stagin' (safeshift.toml defines: development, production)."


def test_unknown_environment_without_a_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^Unknown environment 'production' \(there is no safeshift.toml"):
        load_config(tmp_path, env="production")


def test_safeshift_env_from_dotenv(tmp_path: Path) -> None:
    toml(tmp_path, FULL)
    (tmp_path / ".env").write_text("SAFESHIFT_ENV=staging\n")
    assert load_config(tmp_path).env_name == "staging"


# -- URLs ---------------------------------------------------------------------------------------------

def test_url_override_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml(tmp_path, FULL)
    monkeypatch.setenv("DATABASE_URL", "postgresql://from-env/db")
    config = load_config(tmp_path, env="production", url_override="sqlite:///x.db")
    assert resolve_url(config) == "sqlite:///x.db"


def test_environment_url_with_variables(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml(tmp_path, '[environments.staging]\nurl = "postgresql://u:pa$word@${SS_TEST_DB}/app?x=$HOME"\n')
    monkeypatch.setenv("SS_TEST_DB", "db.example:5432")
    config = load_config(tmp_path, env="staging")
    assert resolve_url(config) == "postgresql://u:pa$word@db.example:5432/app?x=$HOME"


def test_missing_variable_names_it_and_the_environment(tmp_path: Path) -> None:
    toml(tmp_path, FULL)
    with pytest.raises(ConfigError) as info:
        resolve_url(load_config(tmp_path, env="staging"))
    assert str(info.value) == ("The url of environment 'staging' uses ${SS_TEST_DB}, which is not set; "
                               "export it or add it to .env.")


def test_invalid_reference(tmp_path: Path) -> None:
    toml(tmp_path, '[environments.staging]\nurl = "${not valid}"\n')
    with pytest.raises(ConfigError, match=r"invalid reference \$\{not valid\}"):
        resolve_url(load_config(tmp_path, env="staging"))


def test_database_url_fallback_and_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml(tmp_path, FULL)
    config = load_config(tmp_path)
    assert resolve_url(config) is None
    monkeypatch.setenv("DATABASE_URL", "postgresql://localhost/dev")
    assert resolve_url(config) == "postgresql://localhost/dev"


def test_dotenv_is_loaded_without_overriding(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml(tmp_path, FULL)
    (tmp_path / ".env").write_text("SS_TEST_DB=from-dotenv\nSS_TEST_KEPT=from-dotenv\n"
                                   "DATABASE_URL=postgresql://dotenv/db\n")
    monkeypatch.setenv("SS_TEST_KEPT", "from-shell")
    assert resolve_url(load_config(tmp_path, env="staging")) == "from-dotenv"
    assert os.environ["SS_TEST_KEPT"] == "from-shell"
    assert resolve_url(load_config(tmp_path)) == "postgresql://dotenv/db"


def test_missing_url_error(tmp_path: Path) -> None:
    toml(tmp_path, "[environments.production]\n")
    error = missing_url_error(load_config(tmp_path, env="production"))
    assert isinstance(error, ConfigError)
    assert str(error) == "DATABASE_URL is not defined (and environment 'production' has no url in safeshift.toml)."


# -- safeshift init --------------------------------------------------------------------------------------

def test_write_default_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_default_config(tmp_path, schema='app.models:"Base"', dialect="postgres")
    text = path.read_text()
    assert text.startswith("# safeshift configuration")
    data = tomllib.loads(text)
    assert data["schema"] == 'app.models:"Base"'
    assert data["dialect"] == "postgresql"
    assert data["environments"]["production"]["url"] == "${DATABASE_URL}"
    config = load_config(tmp_path, env="production")
    assert config.environment().confirm and not config.environments["staging"].confirm
    assert config.environments["development"].url is None
    monkeypatch.setenv("DATABASE_URL", "postgresql://prod/db")
    assert resolve_url(config) == "postgresql://prod/db"
    with pytest.raises(ConfigError, match=r"^safeshift.toml already exists; edit it instead"):
        write_default_config(tmp_path, schema="x:y", dialect="sqlite")


def test_write_default_config_refuses_unknown_dialect(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="Unknown dialect 'oracle'"):
        write_default_config(tmp_path, schema="x:y", dialect="oracle")
    assert not (tmp_path / "safeshift.toml").exists()


# -- redaction -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("postgresql://user:s3cret@host/db", "postgresql://user:***@host/db"),
        ("postgresql+psycopg://user:p%40ss%2Fw@host:5432/db?sslmode=require",
         "postgresql+psycopg://user:***@host:5432/db?sslmode=require"),
        ("postgresql://user@host/db", "postgresql://user@host/db"),
        ("postgresql://host/db", "postgresql://host/db"),
        ("postgresql://user:@host/db", "postgresql://user:@host/db"),
        ("sqlite:///tmp/app.db", "sqlite:///tmp/app.db"),
        ("host=db user=app password=s3cret dbname=x", "host=db user=app password=*** dbname=x"),
        ("postgresql://host/db?user=a&password=s3cret&sslmode=require",
         "postgresql://host/db?user=a&password=***&sslmode=require"),
        ("PASSWORD=s3cret", "PASSWORD=***"),
        ('connection to "postgresql://app:hunter2@10.0.0.5:5432/prod" failed: timeout; '
         "retry postgresql://app:hunter2@10.0.0.6/prod",
         'connection to "postgresql://app:***@10.0.0.5:5432/prod" failed: timeout; '
         "retry postgresql://app:***@10.0.0.6/prod"),
        ("no url here", "no url here"),
    ],
)
def test_redact_url(text: str, expected: str) -> None:
    assert redact_url(text) == expected
    assert "s3cret" not in redact_url(text) and "hunter2" not in redact_url(text)


def test_two_environments_with_the_same_url_are_refused_at_load(tmp_path: Path) -> None:
    """One database under two names: `migrate --env staging` would change production without its confirmation."""
    toml(tmp_path, '[environments.production]\nurl = "${DATABASE_URL}"\nconfirm = true\n'
                   '[environments.staging]\nurl = " ${DATABASE_URL}"\n')
    with pytest.raises(ConfigError) as exc:
        load_config(tmp_path, env="staging")
    assert str(exc.value) == (
        "Environments 'production' and 'staging' in safeshift.toml both have url = \"${DATABASE_URL}\", so they are "
        "one database under two names; give each its own, e.g. url = \"${STAGING_DATABASE_URL}\" for staging.")


def test_init_template_gives_each_environment_its_own_source(tmp_path: Path) -> None:
    """`safeshift init` wrote `${DATABASE_URL}` for staging and production alike."""
    write_default_config(tmp_path, schema="x:y", dialect="postgresql")
    config = load_config(tmp_path)
    assert {n: e.url for n, e in config.environments.items()} == {
        "development": None, "staging": "${STAGING_DATABASE_URL}", "production": "${DATABASE_URL}"}
    assert config.environments["production"].gates == ("backup",)
    assert config.environments["staging"].gates == () and not config.environments["staging"].protected


def test_backup_is_a_gate_only_where_the_file_sets_it(tmp_path: Path) -> None:
    """backup defaults to "deploy takes one"; a gate for every command only when the file says true."""
    toml(tmp_path, '[environments.production]\nurl = "sqlite:///p.db"\n'
                   '[environments.staging]\nurl = "sqlite:///s.db"\nbackup = true\nrequire_rehearsal = true\n'
                   '[environments.qa]\nurl = "sqlite:///q.db"\nbackup = false\n')
    envs = load_config(tmp_path).environments
    assert envs["production"].backup is None and envs["production"].gates == () and envs["production"].protected
    assert envs["staging"].gates == ("backup", "require_rehearsal") and envs["staging"].protected
    assert envs["qa"].backup is False and not envs["qa"].protected


def test_without_a_configuration_file_each_url_names_its_own_dialect(tmp_path: Path) -> None:
    """No safeshift.toml: postgresql is only the embedded default's dialect, so a SQLite URL is not
    refused as "not what the project's configuration says" (there is none)."""
    from safeshift import api

    bare = load_config(tmp_path)
    assert bare.config_file is None and bare.dialect == "postgresql" and bare.declared_dialect is None
    assert api.dialect_for("sqlite:///x.db", bare.declared_dialect).name == "sqlite"
    (tmp_path / "safeshift.toml").write_text('dialect = "pg"\n', encoding="utf-8")
    configured = load_config(tmp_path)
    assert configured.declared_dialect == "postgresql"
    with pytest.raises(ConfigError, match="is a sqlite URL, but the migrations are for postgresql"):
        api.dialect_for("sqlite:///x.db", configured.declared_dialect)
