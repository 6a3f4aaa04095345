"""A picture of a schema change: the tables a change touches and their neighbours by foreign key.

Pure (layer 5, beside lint: it reads only the model and findings, never a file or a connection),
in three steps kept apart so each is testable alone: two schemas -> a ``Diagram`` (``diagram.py``,
which decides what changed) -> Mermaid text for Markdown (``mermaid.py``) or inline SVG
(``svg.py``), and the self-contained HTML review page (``page.py``).  Where the schemas come from
(a folder's snapshots, a rehearsal report) is orchestration's business: ``safeshift.review_picture``.
"""

from safeshift.picture.diagram import Attr, Box, Diagram, Edge, Face, build
from safeshift.picture.mermaid import markdown_section, mermaid
from safeshift.picture.sqlnames import tables_named

__all__ = ["Attr", "Box", "Diagram", "Edge", "Face", "build", "markdown_section", "mermaid", "tables_named"]
