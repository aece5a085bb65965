"""The SQLite catalogue: the repository's source of truth (documents, texts, tags, links, numbering).

Everything derived (the search index, renditions) can be rebuilt from it. All of archive-kit's SQL
lives in this package, behind named methods, one module per table group: ``connection`` (opening,
upgrades, transactions, error translation), ``documents``, ``texts``, ``tags``, ``numbering``, ``edits``,
``index_queue``, ``schemas`` and ``assignments``.
"""
from __future__ import annotations

from .assignments import Assignment, Assignments
from .documents import Document
from .edits import EditLog
from .numbering import Numbering
from .schemas import Schemas

__all__ = ["Assignment", "Catalogue", "Document"]


class Catalogue(Numbering, Schemas, Assignments, EditLog):
    """A connection to ``catalogue.sqlite`` with every query the rest of archive-kit needs."""
