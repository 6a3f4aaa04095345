"""`python -m safeshift.cli`: the same CLI as the `safeshift` script (the tests run it this way)."""

from safeshift.cli import run

run()
