"""Hazards accepted for a drizzle-kit folder, kept beside its files in ``safeshift.accept.toml``.

A safeshift migration acknowledges a hazard with a ``-- safeshift:allow RULE reason`` comment
above the statement.  A drizzle-kit file cannot take one: drizzle's migrator records the sha256
of the file's text, so the comment would make every database that applied the file disagree
with it.  ``safeshift review --accept RULE FILE:LINE --reason "..."`` records the acceptance
here instead, in the folder (so it is reviewed and committed with the migrations, and every
checkout that deploys them has it), keyed by the file's hash: an acceptance holds only for the
text that was reviewed, and editing the file voids it.  The folder is read with each
acceptance attached to its statement as an allow directive, so review, migrate's and deploy's
hazard gate and rehearse honour it exactly as they honour the comment.

drizzle-kit reads ``meta/`` and the files its journal names; a TOML file beside them is
never read by it.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from safeshift.errors import ConfigError
from safeshift.files import write_atomic
from safeshift.formats.safeshift import MigrationFolder
from safeshift.sections import Allow, Migration
from safeshift.text import utc_iso, utc_now

ACCEPT_FILE = "safeshift.accept.toml"

_HEADER = """\
# Hazards accepted for this drizzle-kit folder: `safeshift review --accept RULE FILE:LINE --reason "..."`.
# drizzle's migrator records each file's sha256, so a `-- safeshift:allow` comment cannot go in the file;
# review and the migrate/deploy hazard gate read the acceptances here instead.  Each holds only for the
# sha256 the file had when it was accepted: an edited file must be reviewed and accepted again.
"""


@dataclass(frozen=True)
class Accepted:
    """One accepted hazard: ``rule`` at ``line`` of ``file`` (a name in the folder), for the text hashed ``sha256``."""

    file: str
    line: int
    rule: str
    reason: str
    sha256: str
    accepted_at: str = ""

    def holds_for(self, m: Migration) -> bool:
        return self.file == m.path.name and self.sha256 == m.sha256


def accept_path(folder: Path) -> Path:
    return Path(folder) / ACCEPT_FILE


def read_accepted(folder: Path) -> tuple[Accepted, ...]:
    """The folder's acceptances, in the file's order; none when it has no ``safeshift.accept.toml``."""
    path = accept_path(folder)
    shown = f"{Path(folder).name}/{ACCEPT_FILE}"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return ()
    except OSError as exc:
        raise ConfigError(f"Cannot read {shown} ({exc.strerror}).") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{shown} is not valid TOML ({exc}); restore it from version control.") from exc
    out: list[Accepted] = []
    for i, raw in enumerate(data.get("accept", [])):
        fields = (raw.get("file"), raw.get("line"), raw.get("rule"), raw.get("reason"), raw.get("sha256")) \
            if isinstance(raw, dict) else (None,) * 5
        file, line, rule, reason, sha = fields
        if not (isinstance(file, str) and isinstance(line, int) and isinstance(rule, str)
                and isinstance(reason, str) and isinstance(sha, str)):
            raise ConfigError(f"{shown}: [[accept]] number {i + 1} lacks one of file, line, rule, reason, sha256; "
                              "restore it from version control or record it again with `safeshift review --accept`.")
        out.append(Accepted(file, line, rule, reason, sha, str(raw.get("accepted_at", ""))))
    return tuple(out)


def attach_accepted(folder: MigrationFolder) -> MigrationFolder:
    """``folder`` with each acceptance that still holds attached to its statement as an allow directive.

    An allow at the statement's own line covers that statement alone (``lint.sql._split_allows``),
    as a comment directly above it would.  An acceptance for another text of the file is left out,
    so the hazard blocks again until it is reviewed and accepted anew.
    """
    accepted = read_accepted(folder.path)
    if not accepted:
        return folder
    migrations: list[Migration] = []
    for m in folder.migrations:
        mine = [a for a in accepted if a.holds_for(m)]
        if mine:
            statements = tuple(
                replace(st, allows=(*st.allows, *(Allow(a.rule, a.reason, st.line) for a in mine if a.line == st.line)))
                for st in m.up_statements)
            m = replace(m, up_statements=statements)
        migrations.append(m)
    return replace(folder, migrations=tuple(migrations))


def stale(folder: Path, m: Migration, rule: str) -> Accepted | None:
    """An acceptance of ``rule`` in ``m``'s file recorded for another text of it (the file was edited since)."""
    return next((a for a in read_accepted(folder) if a.file == m.path.name and a.rule == rule
                 and a.sha256 != m.sha256), None)


def record(folder: MigrationFolder, m: Migration, line: int, rule: str, reason: str) -> Accepted:
    """Write (or replace) the acceptance of ``rule`` at ``line`` of ``m`` for its present text."""
    new = Accepted(m.path.name, line, rule, reason, m.sha256, utc_iso(utc_now(), "seconds"))
    kept = [a for a in read_accepted(folder.path) if (a.file, a.line, a.rule) != (new.file, new.line, new.rule)]
    entries = sorted([*kept, new], key=lambda a: (a.file, a.line, a.rule))
    write_atomic(accept_path(folder.path), _HEADER + "".join(_entry(a) for a in entries))
    return new


def _entry(a: Accepted) -> str:
    # a JSON string is a TOML basic string (json.dumps escapes as TOML does, non-ASCII kept as is)
    pairs = (("file", a.file), ("line", a.line), ("rule", a.rule), ("reason", a.reason), ("sha256", a.sha256),
             ("accepted_at", a.accepted_at))
    return "\n[[accept]]\n" + "".join(f"{k} = {json.dumps(v, ensure_ascii=False)}\n" for k, v in pairs)
