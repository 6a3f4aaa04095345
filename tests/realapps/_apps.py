"""The applications of the corpus: how each builds its own database, and where its models are.

Each app is installed from the package index into the corpus venv (``_venv.py``) at the version pinned in
``requirements.txt``.  ``build`` is the command the app itself gives its users for a new database:

- optuna 5.1.0: its Alembic history (optuna/storages/_rdb/alembic, 10 revisions) to head through its own
  Alembic configuration (``_in_app_venv.py upgrade-optuna``);
- mlflow-skinny 3.18.0: ``mlflow db upgrade URL`` (its initial tables, then 70-odd Alembic revisions);
- buildbot 4.3.0: ``buildbot create-master --db URL DIR`` (a new master's database; buildbot creates it from
  its models and stamps its Alembic history at head);
- mailman 3.3.10: any ``mailman`` command with a configuration naming the database (mailman creates its
  tables from its models and stamps its Alembic history at head on first start).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: mlflow's models are spread over three modules on one declarative base; safeshift names one module
MLFLOW_MODELS = """\
\"\"\"mlflow's models as its Alembic env.py sees them: every model module imported, one Base.\"\"\"
import mlflow.store.model_registry.dbmodels.models  # noqa: F401
import mlflow.store.tracking.dbmodels.models  # noqa: F401
import mlflow.store.workspace.dbmodels.models  # noqa: F401
from mlflow.store.db.base_sql_model import Base
"""

#: the same with the three declarations PostgreSQL and SQLite refuse to build made buildable (see
#: test_corpus.test_mlflow_models_refused), so the rest of mlflow's schema goes through generate, migrate
#: and verify: the two column-less indexes get the key mlflow's own migrations give them (request_id), and
#: the foreign key to inputs.input_uuid (not unique there), which mlflow's migrations never create, goes
MLFLOW_BUILDABLE = MLFLOW_MODELS + """
import sqlalchemy as sa

_tables = Base.metadata.tables
for _name in ("trace_tags", "trace_request_metadata"):
    _table = _tables[_name]
    for _index in [ix for ix in _table.indexes if not ix.expressions]:
        _table.indexes.discard(_index)
        sa.Index(_index.name, _table.c.request_id)
_tags = _tables["input_tags"]
for _fk in [fk for fk in _tags.foreign_key_constraints if fk.referred_table.name == "inputs"]:
    _tags.constraints.discard(_fk)
    _tags.foreign_keys.difference_update(_fk.elements)
    for _column in _fk.columns:
        _column.foreign_keys.difference_update(_fk.elements)
"""

#: mailman's model modules are imported one by one as mailman starts; all of them, as its Alembic env.py
MAILMAN_MODELS = """\
\"\"\"Every mailman model module, on mailman's one declarative base.\"\"\"
import importlib
import pkgutil

import mailman.model
from mailman.database.model import Model

for _info in pkgutil.iter_modules(mailman.model.__path__):
    if not _info.name.startswith("test"):
        importlib.import_module(f"mailman.model.{_info.name}")
metadata = Model.metadata
"""

MAILMAN_CFG = """\
[mailman]
layout: here
[paths.here]
var_dir: {var}
[database]
class: mailman.database.{kind}
url: {url}
"""


@dataclass(frozen=True)
class App:
    name: str
    #: safeshift.toml's ``schema``
    schema: str
    #: the command that builds R: (venv bin folder, SQLAlchemy URL with the app's driver, a work folder)
    build: Callable[[Path, str, Path], list[str]]
    #: modules written into the safeshift project folder (name -> text), imported by ``schema``
    modules: dict[str, str] = field(default_factory=dict)
    backends: tuple[str, ...] = ("pg15", "pg18", "sqlite")


def _optuna(bin_: Path, url: str, work: Path) -> list[str]:
    return [str(bin_ / "python"), str(HERE / "_in_app_venv.py"), "upgrade-optuna", url]


def _mlflow(bin_: Path, url: str, work: Path) -> list[str]:
    return [str(bin_ / "mlflow"), "db", "upgrade", url]


def _buildbot(bin_: Path, url: str, work: Path) -> list[str]:
    return [str(bin_ / "buildbot"), "create-master", "--quiet", "--db", url, str(work / "master")]


def _mailman(bin_: Path, url: str, work: Path) -> list[str]:
    kind = "sqlite.SQLiteDatabase" if url.startswith("sqlite") else "postgresql.PostgreSQLDatabase"
    cfg = work / "mailman.cfg"
    cfg.write_text(MAILMAN_CFG.format(var=work / "var", kind=kind, url=url))
    return [str(bin_ / "mailman"), "-C", str(cfg), "--run-as-root", "info"]


APPS = {
    "optuna": App("optuna", "optuna.storages._rdb.models:BaseModel", _optuna),
    "mlflow": App("mlflow", "mlflow_buildable:Base", _mlflow,
                  {"mlflow_models.py": MLFLOW_MODELS, "mlflow_buildable.py": MLFLOW_BUILDABLE}),
    "buildbot": App("buildbot", "buildbot.db.model:Model.metadata", _buildbot),
    "mailman": App("mailman", "mailman_models:metadata", _mailman, {"mailman_models.py": MAILMAN_MODELS}),
}
