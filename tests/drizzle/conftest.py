"""The drizzle-kit project, generated once per session by the real drizzle-kit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.drizzle._kit import generate, require_node


@pytest.fixture(scope="session")
def drizzle_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with schema.ts, drizzle.config.ts and drizzle/ (five migrations); copy it, never change it."""
    require_node()
    root = tmp_path_factory.mktemp("drizzle-kit") / "project"
    generate(root)
    return root
