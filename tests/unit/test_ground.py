"""The ground layer (text.py, files.py, version.py): one definition of each leaf helper, importing
nothing above errors, so that every other layer can use them without an import cycle."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

import pytest

import safeshift
from safeshift.errors import ConfigError
from safeshift.files import restrict, write_atomic
from safeshift.text import (
    display_path,
    duration_ms,
    elapsed,
    first_line,
    redact_url,
    shorten,
    stamp_id,
    utc_iso,
)
from safeshift.version import __version__


def test_ground_modules_import_nothing_above_errors() -> None:
    code = ("import sys, safeshift.text, safeshift.files, safeshift.version; "
            "print(' '.join(sorted(m for m in sys.modules if m.startswith('safeshift'))))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == ["safeshift", "safeshift.errors", "safeshift.files", "safeshift.text", "safeshift.version"]


def test_version_is_one_value() -> None:
    assert safeshift.__version__ == __version__ == version("safeshift")


def test_redact_url() -> None:
    assert redact_url("postgresql://app:s3cret@db/app") == "postgresql://app:***@db/app"
    assert redact_url("postgresql:/app:s3cret@db/app") == "postgresql:/app:***@db/app"
    assert redact_url("host=db password=s3cret dbname=app") == "host=db password=*** dbname=app"
    assert redact_url("postgresql://app@db/app") == "postgresql://app@db/app"


def test_durations() -> None:
    assert [duration_ms(t) for t in ("500ms", "5s", " 2min", "1h", "3")] == [500, 5000, 120_000, 3_600_000, 3000]
    with pytest.raises(ConfigError) as err:
        duration_ms("5 parsecs")
    assert err.value.message == "'5 parsecs' is not a duration such as \"5s\" or \"500ms\"."
    assert [elapsed(s) for s in (0.035, 2.42, 12.7, 185, 3720)] == ["35 ms", "2.4 s", "12 s", "3 min 05 s",
                                                                     "1 h 02 min"]


def test_one_line() -> None:
    assert first_line(ValueError("boom\nDETAIL: more")) == "boom"
    assert first_line(ValueError()) == "ValueError"
    assert shorten("SELECT\n    1") == "SELECT 1"
    assert shorten("x" * 200, 20) == "x" * 17 + "..."


def test_display_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert display_path(tmp_path / "a" / "b.sql", tmp_path) == "a/b.sql"
    assert display_path(Path("/elsewhere/x.sql"), tmp_path) == "/elsewhere/x.sql"
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "migrations") == "migrations"


def test_stamps() -> None:
    when = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)
    assert stamp_id(when, "production") == "20260301T120000123Z_production"
    assert utc_iso(when) == "2026-03-01T12:00:00.123Z"
    assert utc_iso(when, "seconds") == "2026-03-01T12:00:00Z"
    assert utc_iso(when, zulu=False) == "2026-03-01T12:00:00.123+00:00"


def test_owner_only_files(tmp_path: Path) -> None:
    target = tmp_path / "record.json"
    write_atomic(target, "{}\n")
    write_atomic(target, '{"a": 1}\n')
    assert target.read_text(encoding="utf-8") == '{"a": 1}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert os.listdir(tmp_path) == ["record.json"]
    dump = tmp_path / "dump"
    (dump / "inner").mkdir(parents=True)
    (dump / "inner" / "toc.dat").write_text("x", encoding="utf-8")
    restrict(dump)
    assert [stat.S_IMODE(p.stat().st_mode) for p in (dump, dump / "inner", dump / "inner" / "toc.dat")] == [
        0o700, 0o700, 0o600]
