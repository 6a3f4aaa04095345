"""The package's version, in a module of its own.

Modules that stamp the version into history rows, release records or file headers import it
from here rather than from ``safeshift`` itself: the package ``__init__`` exposes the API, and
going through it would tie the lowest layers to the highest one in a single import cycle.
"""

from __future__ import annotations

__version__ = "0.1.0"
