"""What a schema declares that its database would refuse to build, as one value per problem.

The rules that find them live in two places: ``safeshift.validate`` holds the ones every database
shares (an index with no keys, a foreign key onto columns nothing keeps unique) and each dialect the
ones only its database has (PostgreSQL's default operator classes, the types its extensions bring).
Both speak this one record, so the dialect rules stay pure SQL knowledge (layer 4) and the pass that
gathers them (layer 5) needs no dialect's names.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing the database would refuse, said as the subject and the rest of one sentence.

    ``what`` names the model object (``index ix_docs_body on public.docs``); ``why`` continues the
    sentence after it, ending with what to do.  ``table`` and ``name`` point a source at the object
    (the table's key, and the index's, constraint's or column's own name) so that it can say where
    the object is declared; neither is part of the sentence.
    """

    what: str
    why: str
    table: tuple[str, str] | None = None
    name: str | None = None
    #: the other object of a problem about two (the first of two identical indexes)
    related: str | None = None

    def sentence(self, where: str | None = None) -> str:
        """The whole sentence, with ``where`` (``models.py:12``) after the object when a source knows it."""
        at = f" ({where})" if where else ""
        return f"{self.what}{at} {self.why}"
