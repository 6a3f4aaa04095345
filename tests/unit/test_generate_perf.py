"""What keeps `safeshift generate` fast: lazy pglast, the paused collector, version-aware catalog queries."""

from __future__ import annotations

import gc
import subprocess
import sys

import pytest

from safeshift.introspect.postgres_reads import query
from safeshift.model import collector_paused


def test_plain_types_and_rendering_do_not_import_pglast() -> None:
    """pglast costs ~50 ms to import; a schema of plain columns must not pay for it."""
    code = (
        "import sys\n"
        "from safeshift.dialects import get_dialect\n"
        "d = get_dialect('postgresql')\n"
        "assert d.normalize_type('VARCHAR(100)') == 'character varying(100)'\n"
        "assert d.quote('users') == '\"users\"'\n"
        "assert 'pglast' not in sys.modules, sorted(m for m in sys.modules if m.startswith('pglast'))\n"
        "assert d.normalize_expression('(a > 0)') == 'a > 0'\n"
        "assert 'pglast' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("freeze", [False, True])
def test_collector_paused_restores_the_collector(freeze: bool) -> None:
    frozen = gc.get_freeze_count()
    try:
        with pytest.raises(ZeroDivisionError), collector_paused(freeze=freeze):
            assert not gc.isenabled()
            _ = 1 / 0
        assert gc.isenabled()
        assert (gc.get_freeze_count() > frozen) == freeze
        gc.disable()
        with collector_paused():
            pass
        assert not gc.isenabled()  # a collector that was off stays off
    finally:
        gc.enable()
        gc.unfreeze()


def test_catalog_queries_fit_servers_before_15() -> None:
    for name in ("constraints", "indexes"):
        assert "i.indnullsnotdistinct" in query(name, 150000)
        assert "indnullsnotdistinct" not in query(name, 140000)
