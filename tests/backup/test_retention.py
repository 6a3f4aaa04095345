"""`keep = N` retention, the `backups` folder key, and cleaning up after killed backups."""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import pytest

from safeshift import api
from safeshift.backup import Backup, backup, list_backups, manifest_path, prune, remove_unfinished
from safeshift.config import load_config, write_default_config
from safeshift.dialects import get_dialect
from safeshift.errors import ConfigError

SQLITE = get_dialect("sqlite")


def _db(tmp_path: Path) -> str:
    db = tmp_path / "app.db"
    conn = sqlite3.connect(db)
    conn.executescript("CREATE TABLE t (x TEXT); INSERT INTO t VALUES ('a'), ('b');")
    conn.close()
    return f"sqlite:///{db}"


def _backup(url: str, dest: Path, keep: int | None = None) -> Backup:
    return backup(url, dest, env_name="prod", migrations_version=None, dialect=SQLITE, keep=keep)


def test_keep_deletes_the_oldest_complete_backups_beyond_n(tmp_path: Path) -> None:
    url, dest = _db(tmp_path), tmp_path / "bk"
    old = [_backup(url, dest).path for _ in range(4)]
    # neither an unfinished dump that is being written nor a dump without manifest counts or goes
    running = dest / ".20990101T000000000Z_0009.dump.partial"
    running.write_bytes(b"being written")
    orphan = dest / "20000101T000000000Z_0001.dump"
    orphan.write_bytes(b"no manifest")
    fd = os.open(running, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        newest = _backup(url, dest, keep=2)
    finally:
        os.close(fd)
    assert newest.pruned == tuple(old[:3])
    assert newest.removed == ()
    assert [b.path for b in list_backups(dest)] == [old[3], newest.path]
    for gone in old[:3]:
        assert not gone.exists() and not manifest_path(gone).exists()
    assert running.exists() and orphan.exists()
    assert prune(dest, 5) == [] and prune(dest, 1) == [old[3]]


def test_unfinished_backups_are_removed_unless_their_backup_still_runs(tmp_path: Path) -> None:
    url, dest = _db(tmp_path), tmp_path / "bk"
    dest.mkdir()
    killed_file = dest / ".20260101T000000000Z_0001.dump.partial"
    killed_file.write_bytes(b"half a dump")
    (dest / (killed_file.name + "-journal")).write_bytes(b"sqlite journal of the copy")
    killed_dir = dest / ".20260101T000001000Z_0001.dump.partial"  # pg_dump -Fd
    killed_dir.mkdir()
    (killed_dir / "toc.dat").write_bytes(b"toc")
    # killed between writing its manifest and renaming its dump: the manifest goes too
    (dest / "20260101T000001000Z_0001.json").write_text("{}")
    running = dest / ".20260101T000002000Z_0001.dump.partial"
    running.mkdir()
    fd = os.open(running, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        made = _backup(url, dest)
        assert made.removed == (killed_file, killed_dir)
        assert sorted(p.name for p in dest.iterdir()) == sorted(
            [made.path.name, manifest_path(made.path).name, running.name])
        assert remove_unfinished(dest) == []
    finally:
        os.close(fd)
    assert remove_unfinished(dest) == [running]
    assert [b.path for b in list_backups(dest)] == [made.path]


def test_keep_and_backups_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages name the file relative to where the command runs
    (tmp_path / "safeshift.toml").write_text(
        'dialect = "sqlite"\nbackups = "var/backups"\n\n[environments.prod]\nurl = "sqlite:///x.db"\nkeep = 2\n'
    )
    config = load_config(tmp_path, env="prod")
    assert config.environments["prod"].keep == 2
    assert config.backups_dir == tmp_path.resolve() / "var" / "backups" / "prod"
    assert load_config(tmp_path).backups_dir == tmp_path.resolve() / "var" / "backups" / "development"
    assert load_config(tmp_path).environment().keep is None
    assert config.backups_for("staging") == tmp_path.resolve() / "var" / "backups" / "staging"
    default = tmp_path / "default"
    default.mkdir()
    (default / "safeshift.toml").write_text('dialect = "sqlite"\n')
    assert load_config(default).backups_dir == default.resolve() / ".safeshift" / "backups" / "development"

    for value in ("0", '"3"', "true", "1.5"):
        (tmp_path / "safeshift.toml").write_text(f"[environments.prod]\nkeep = {value}\n")
        with pytest.raises(ConfigError) as exc:
            load_config(tmp_path)
        assert str(exc.value).startswith("'keep' in [environments.prod] in safeshift.toml must be a whole number "
                                         "(at least 1), not ")
    (tmp_path / "safeshift.toml").write_text("backups = 3\n")
    with pytest.raises(ConfigError, match=r"'backups' in safeshift\.toml must be a folder path"):
        load_config(tmp_path)

    written = write_default_config(tmp_path / "new", schema="models:metadata", dialect="sqlite").read_text()
    assert "keep (how many" in written and '# backups = ".safeshift/backups"' in written and "# keep = 10" in written


def test_api_backup_prunes_the_environment_folder_but_never_an_explicit_dir(tmp_path: Path) -> None:
    url = _db(tmp_path)
    (tmp_path / "safeshift.toml").write_text(
        f'dialect = "sqlite"\nbackups = "bk"\n\n[environments.prod]\nurl = "{url}"\nkeep = 2\n')
    config = load_config(tmp_path, env="prod")
    made = [api.backup(config, url) for _ in range(3)]
    assert [b.path for b in list_backups(tmp_path / "bk" / "prod")] == [made[1].path, made[2].path]
    assert made[2].pruned == (made[0].path,)
    elsewhere = [api.backup(config, url, tmp_path / "elsewhere") for _ in range(3)]
    assert len(list_backups(tmp_path / "elsewhere")) == 3 and all(not b.pruned for b in elsewhere)
