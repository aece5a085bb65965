"""Full-text search with grep-complete Chinese matching, behind an engine-neutral interface.

The rest of archive-kit depends on ``SearchIndex`` and its records (protocol.py) and opens an
index with ``open_index`` / ``build_index`` / ``index_exists``; the engine behind them is Whoosh
(whoosh_index.py, its internals in whoosh_compat.py).
"""
from __future__ import annotations

from archive_kit.search.protocol import IndexDoc, SearchHit, SearchIndex, SearchResult
from archive_kit.search.query import Term, parse_query
from archive_kit.search.snippet import highlight_terminal
from archive_kit.search.whoosh_index import WhooshIndex, build_index, index_exists, open_index

__all__ = ["IndexDoc", "SearchHit", "SearchIndex", "SearchResult", "Term", "WhooshIndex", "build_index",
           "highlight_terminal", "index_exists", "open_index", "parse_query"]
