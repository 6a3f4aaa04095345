"""The corpus venv, once per test process (built once per machine, see ``_venv.py``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.realapps import _venv


@pytest.fixture(scope="session")
def app_bin() -> Path:
    """The ``bin`` folder of the venv holding the apps, their pinned dependencies and safeshift's."""
    return _venv.python().parent
