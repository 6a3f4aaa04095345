"""`python -m safeshift` and the `safeshift` script: the CLI as a process of its own (``main``)."""

import gc
import sys

#: the youngest generation's threshold for a CLI process (CPython's default: 700 allocations).  A run
#: allocates its objects in bursts that stay alive to the end (imports, then a catalog's rows and the model
#: built from them), so at the default the collector ran every 700 of them and re-scanned the survivors on
#: their way to the oldest generation: 10 to 11 ms of `safeshift verify` at 1,000 tables.  Cyclic garbage is
#: still collected, after 100,000 allocations instead of 700.  At 20,000 the imports alone still set off a
#: collection, and another came when the introspection (which pauses the collector) ended, 4 ms each, finding
#: no garbage.  Set before the CLI is imported, whose imports are the first burst; importing ``safeshift.cli``
#: from Python (tests, the API) leaves the process's own.
_YOUNGEST = 100_000


def main() -> None:
    gc.set_threshold(_YOUNGEST, 10, 10)
    from safeshift import codecache

    codecache.install()  # first: the dataclasses of every module imported from here on are generated code
    from safeshift import early

    early.begin(sys.argv[1:])  # `verify --url`: the server reads its catalog while the rest is imported
    from safeshift.cli import run

    run()


if __name__ == "__main__":
    main()
