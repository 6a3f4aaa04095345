"""`python -m safeshift`: the same CLI as the `safeshift` script."""

from safeshift.cli import run

run()
