"""The root of every Change operation: a frozen value that knows its inverse, its verb and its target."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True)
class Change:
    kind: ClassVar[str] = "change"
    #: "create", "alter" or "drop": how the summary counts it
    verb: ClassVar[str] = "alter"

    def inverse(self) -> Change:
        raise NotImplementedError

    @property
    def data_loss(self) -> str | None:
        """One sentence when applying this change destroys data, else None."""
        return None

    @property
    def target(self) -> str:
        """Human name of the object changed, e.g. ``public.users.email``."""
        raise NotImplementedError
