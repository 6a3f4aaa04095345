"""Drizzle-kit folders of the kinds real projects end up with, made by the real drizzle-kit.

Each folder is a sequence of ``drizzle-kit generate`` runs over a TypeScript schema that
changes, as a team's history would: rename prompts answered on a terminal (drizzle-kit asks
them only on a TTY, so it runs on a pseudo-terminal here and the arrow keys are sent), a
``--custom`` migration, timestamp prefixes, two branches merged, row-level security with
policies, enums changed and recreated, names past 63 bytes, jsonb defaults.

drizzle-kit's clock is set for every run (``Date`` is replaced by a preloaded script), so
``when`` and timestamp prefixes are fixed and a branch can be "generated" earlier than the
entry it is merged after.  The folders are made once per test session and copied.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tests.drizzle._kit import DRIZZLE_KIT, NODE_MODULES

#: replaces Date in drizzle-kit's process so "now" is SAFESHIFT_FAKE_NOW (ms): fixed `when` and prefixes
FAKE_CLOCK = """const fixed = Number(process.env.SAFESHIFT_FAKE_NOW);
if (fixed) {
  const Real = Date;
  class Fixed extends Real {
    constructor(...args) { if (args.length === 0) { super(fixed); } else { super(...args); } }
    static now() { return fixed; }
  }
  globalThis.Date = Fixed;
}
"""
#: 2026-01-05 10:00:00 UTC: the first migration of every folder
T0 = 1_767_607_200_000
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_PROMPT = re.compile(r"Is (?P<subject>.+?) created or renamed from another")


@dataclass(frozen=True)
class Step:
    """One ``drizzle-kit generate``: the schema after it (None: ``--custom`` with ``custom_sql``).

    ``renames``: the answers to drizzle-kit's prompts in the order it asks them, each the
    subject it names (``"articles table"``, ``"heading column in articles table"``) and how many
    choices below "create" the answer is (1: the first rename drizzle-kit offers).
    """

    name: str
    schema: str | None
    custom_sql: str = ""
    renames: tuple[tuple[str, int], ...] = ()
    #: minutes after T0 on drizzle-kit's clock
    minute: int = 0


@dataclass(frozen=True)
class Spec:
    """A folder: steps run in order; ``branch`` steps are generated from the state after ``fork`` steps in a
    copy of the project and merged after the others (their journal entries appended, as a merge does)."""

    name: str
    steps: tuple[Step, ...]
    prefix: str = "index"
    fork: int = 0
    branch: tuple[Step, ...] = ()
    #: rows a test inserts at head (SQL run once on each database): rows a rollback must keep
    seed: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


def config_ts(prefix: str) -> str:
    migrations = f', migrations: {{ prefix: "{prefix}" }}' if prefix != "index" else ""
    return ('import { defineConfig } from "drizzle-kit";\n'
            f'export default defineConfig({{ dialect: "postgresql", schema: "./schema.ts", out: "./drizzle"{migrations} }});\n')


def kit(project: Path, args: Sequence[str], *, now: int, renames: Sequence[tuple[str, int]] = ()) -> str:
    """drizzle-kit ARGS in ``project`` on a pseudo-terminal, its clock at ``now``, answering its rename prompts.

    Each prompt is answered once it has been drawn (its subject must be the next expected
    one); the output, without colours, is returned.
    """
    clock = project / ".fake-clock.cjs"
    clock.write_text(FAKE_CLOCK, encoding="utf-8")
    env = {**os.environ, "NODE_PATH": str(NODE_MODULES), "SAFESHIFT_FAKE_NOW": str(now), "TERM": "xterm",
           "COLUMNS": "200", "LINES": "50", "FORCE_COLOR": "0"}
    # a terminal of its own (not pty.fork: folders are made in threads, where fork is unsafe)
    fd, child_fd = os.openpty()
    proc = subprocess.Popen(["node", "--require", str(clock), str(DRIZZLE_KIT), *args], cwd=project, env=env,
                            stdin=child_fd, stdout=child_fd, stderr=child_fd, start_new_session=True)
    os.close(child_fd)
    raw = b""
    answered = 0
    pending = list(renames)
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                raw += chunk
                continue
            if proc.poll() is not None:
                break
            # quiet: a prompt drawn and not yet answered gets its answer
            text = _ANSI.sub("", raw.decode("utf-8", "replace"))
            subjects = list(dict.fromkeys(_PROMPT.findall(text)))
            if len(subjects) > answered:
                subject = subjects[answered]
                assert pending, f"drizzle-kit asked an unexpected question: {subject!r}\n{text}"
                expected, downs = pending.pop(0)
                assert subject == expected, f"drizzle-kit asked about {subject!r}, not {expected!r}\n{text}"
                os.write(fd, b"\x1b[B" * downs)
                time.sleep(0.05)
                os.write(fd, b"\r")
                answered += 1
        else:
            raise AssertionError(f"drizzle-kit {' '.join(args)} did not finish:\n{raw.decode('utf-8', 'replace')}")
    finally:
        if proc.poll() is None:  # an assertion above left it asking: stop it
            proc.kill()
        status = proc.wait()
        os.close(fd)
    text = _ANSI.sub("", raw.decode("utf-8", "replace"))
    assert status == 0, f"drizzle-kit {' '.join(args)} failed:\n{text}"
    assert not pending, f"drizzle-kit never asked about {pending}:\n{text}"
    return text


def _run_step(project: Path, step: Step, now: int) -> None:
    if step.schema is None:
        kit(project, ["generate", "--custom", "--name", step.name], now=now)
        path = next((project / "drizzle").glob(f"*_{step.name}.sql"))
        path.write_text(path.read_text(encoding="utf-8").rstrip("\n") + "\n" + step.custom_sql, encoding="utf-8")
        return
    (project / "schema.ts").write_text(step.schema, encoding="utf-8")
    kit(project, ["generate", "--name", step.name], now=now, renames=step.renames)


def build(spec: Spec, root: Path) -> Path:
    """The project of ``spec`` under ``root`` (schema.ts, drizzle.config.ts, drizzle/); returns its ``drizzle/``."""
    project = root / spec.name
    project.mkdir(parents=True)
    (project / "drizzle.config.ts").write_text(config_ts(spec.prefix), encoding="utf-8")
    for name, text in spec.extra.items():
        (project / name).write_text(text, encoding="utf-8")
    branch_project = root / f"{spec.name}-branch"
    for i, step in enumerate(spec.steps):
        if spec.branch and i == spec.fork:
            shutil.copytree(project, branch_project)
        _run_step(project, step, T0 + step.minute * 60_000)
    if spec.branch:
        if spec.fork == len(spec.steps):
            shutil.copytree(project, branch_project)
        for step in spec.branch:
            _run_step(branch_project, step, T0 + step.minute * 60_000)
        _merge(branch_project / "drizzle", project / "drizzle")
    for scratch in project.glob(".fake-clock.cjs"):
        scratch.unlink()
    return project / "drizzle"


def _merge(branch: Path, main: Path) -> None:
    """The branch's new migrations added to ``main`` as a git merge leaves them: files copied, journal
    entries appended after main's (so their ``when`` may be older than the entry before them)."""
    ours = json.loads((main / "meta" / "_journal.json").read_text(encoding="utf-8"))
    theirs = json.loads((branch / "meta" / "_journal.json").read_text(encoding="utf-8"))
    known = {e["tag"] for e in ours["entries"]}
    for entry in theirs["entries"]:
        if entry["tag"] in known:
            continue
        prefix = entry["tag"].split("_", 1)[0]
        assert not (main / "meta" / f"{prefix}_snapshot.json").exists(), f"the merge would overwrite {prefix}"
        shutil.copy2(branch / f"{entry['tag']}.sql", main / f"{entry['tag']}.sql")
        shutil.copy2(branch / "meta" / f"{prefix}_snapshot.json", main / "meta" / f"{prefix}_snapshot.json")
        ours["entries"].append({**entry, "idx": len(ours["entries"])})
    (main / "meta" / "_journal.json").write_text(json.dumps(ours, indent=2), encoding="utf-8")


# -- the folders --------------------------------------------------------------------------------

_PG = 'import { sql } from "drizzle-orm";\nimport { pgTable, pgEnum, pgPolicy, pgRole, serial, text, integer, varchar, jsonb, index } from "drizzle-orm/pg-core";\n'
_KEEP = 'export const keep = pgTable("keep", { id: serial("id").primaryKey(), note: text("note").default("kept").notNull() });\n'


def _renames(stage: int) -> str:
    users = "full_name" if stage >= 2 else "name"
    posts = "articles" if stage >= 1 else "posts"
    title = "headline" if stage >= 4 else "title"
    body = '  body: text("body").default("").notNull(),\n' if stage >= 4 else ""
    return (_PG + _KEEP
            + f'export const users = pgTable("users", {{ id: serial("id").primaryKey(), name: text("{users}").notNull() }});\n'
            + f'export const posts = pgTable("{posts}", {{\n  id: serial("id").primaryKey(),\n'
            + '  userId: integer("user_id").notNull().references(() => users.id),\n'
            + f'  title: text("{title}"),\n{body}}}, (t) => [index("{posts}_user_idx").on(t.userId)]);\n')


RENAMES = Spec("renames", (
    Step("init", _renames(0), minute=0),
    Step("rename_table", _renames(1), renames=(("articles table", 1),), minute=1),
    Step("rename_column", _renames(2), renames=(("full_name column in users table", 1),), minute=2),
    Step("uppercase_names", None, 'UPDATE "users" SET "full_name" = upper("full_name");\n', minute=3),
    Step("rename_and_add", _renames(4), renames=(("headline column in articles table", 1), ("body column in articles table", 0)), minute=4),
), seed=("INSERT INTO keep (note) VALUES ('a'), ('b');\n"
         "INSERT INTO users (full_name) VALUES ('ADA'), ('GRACE');\n"
         "INSERT INTO articles (user_id, headline) VALUES (1, 'one'), (2, 'two');\n"))


def _merged(*, email: bool = False, projects: bool = False, tags: bool = False) -> str:
    out = (_PG + _KEEP + 'export const users = pgTable("users", {\n  id: serial("id").primaryKey(),\n'
           '  name: text("name").notNull(),\n' + ('  email: varchar("email", { length: 255 }),\n' if email else "")
           + "});\n")
    if projects:
        out += ('export const projects = pgTable("projects", { id: serial("id").primaryKey(), '
                'ownerId: integer("owner_id").notNull().references(() => users.id, { onDelete: "cascade" }) });\n')
    if tags:
        out += 'export const tags = pgTable("tags", { id: serial("id").primaryKey(), label: text("label").notNull() });\n'
    return out


#: two branches from one base: "tags" generated first (minute 10) but merged after "projects" (minute 20)
MERGED = Spec("merged", (
    Step("base", _merged(), minute=0),
    Step("projects", _merged(email=True, projects=True), minute=20),
), prefix="timestamp", fork=1, branch=(
    Step("tags", _merged(tags=True), minute=10),
), seed=("INSERT INTO keep (note) VALUES ('a');\nINSERT INTO users (name, email) VALUES ('ada', 'ada@example.com');\n"
         "INSERT INTO projects (owner_id) VALUES (1);\nINSERT INTO tags (label) VALUES ('t');\n"))

#: a role that exists before any migration (``.existing()``): roles are the server's, shared by its databases
READER = "safeshift_corpus_reader"
#: a policy name of 70 bytes: PostgreSQL keeps 63
LONG_POLICY = "documents_visible_to_their_owner_and_to_the_reading_role_of_the_team_x"


def _rls(stage: int) -> str:
    policies = []
    if stage < 4:
        using = "${t.owner} = current_user" if stage < 2 else "${t.owner} = current_user OR ${t.shared}"
        policies.append(f'pgPolicy("docs_owner", {{ as: "permissive", for: "select", to: "public", using: sql`{using}` }})')
    if 1 <= stage < 3:
        policies.append('pgPolicy("docs_insert", { as: "restrictive", for: "insert", to: reader, '
                        'withCheck: sql`${t.owner} = current_user` })')
    if stage >= 1 and stage < 4:
        policies.append(f'pgPolicy("{LONG_POLICY}", {{ for: "update", to: [reader], using: sql`true` }})')
    docs = ("" if stage >= 4 else
            'export const docs = pgTable("docs", {\n  id: serial("id").primaryKey(),\n  owner: text("owner").notNull(),\n'
            '  shared: integer("shared").default(0).notNull(),\n}, (t) => [\n  ' + ",\n  ".join(policies) + "\n]);\n")
    docs = docs.replace("${t.shared}", "${t.shared} = 1")
    open_rls = ".enableRLS()" if stage < 3 else ""
    return (_PG + _KEEP + f'export const reader = pgRole("{READER}").existing();\n' + docs
            + f'export const open = pgTable("open", {{ id: serial("id").primaryKey() }}){open_rls};\n')


RLS = Spec("rls", (
    Step("create_docs", _rls(0), minute=0),
    Step("more_policies", _rls(1), minute=1),
    Step("alter_policy", _rls(2), minute=2),
    Step("drop_policy_and_rls", _rls(3), minute=3),
    Step("drop_docs", _rls(4), minute=4),
), seed="INSERT INTO keep (note) VALUES ('a');\nINSERT INTO open DEFAULT VALUES;\n")

#: names past PostgreSQL's 63 bytes: drizzle-kit's foreign key name and an index name
_LONG_TABLE = "organisation_membership_history"
_LONG_INDEX = "organisation_membership_history_by_member_reference_and_mood_of_the_day"


def _types(stage: int) -> str:
    values = {0: '"sad", "ok"', 1: '"sad", "ok", "happy"', 2: '"ok", "happy"', 3: '"ok", "happy"'}[stage]
    enum_name = "feeling" if stage >= 3 else "mood"
    default = '{ theme: "dark", sizes: [1, 2], nested: { on: true } }' if stage < 3 else '{ theme: "light", "a b": null }'
    return (_PG + _KEEP + f'export const mood = pgEnum("{enum_name}", [{values}]);\n'
            + 'export const people = pgTable("people", {\n  id: serial("id").primaryKey(),\n'
            + '  mood: mood("mood"),\n'
            + f'  settings: jsonb("settings").default({default}).notNull(),\n'
            + '  tags: jsonb("tags").default([]),\n});\n'
            + f'export const history = pgTable("{_LONG_TABLE}", {{\n  id: serial("id").primaryKey(),\n'
            + '  memberReferenceIdentifier: integer("member_reference_identifier").notNull()'
            + '.references(() => people.id),\n  mood: mood("mood"),\n'
            + f'}}, (t) => [index("{_LONG_INDEX}").on(t.memberReferenceIdentifier, t.mood)]);\n')


TYPES = Spec("types", (
    Step("create", _types(0), minute=0),
    Step("add_enum_value", _types(1), minute=1),
    Step("remove_enum_value", _types(2), minute=2),
    Step("rename_enum_new_default", _types(3), renames=(("feeling enum", 1),), minute=3),
), seed="INSERT INTO keep (note) VALUES ('a');\nINSERT INTO people (mood) VALUES ('ok');\n")

SPECS: tuple[Spec, ...] = (RENAMES, MERGED, RLS, TYPES)
