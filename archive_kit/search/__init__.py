"""Full-text search with grep-complete Chinese matching, behind a small engine-neutral interface."""
from __future__ import annotations

from archive_kit.search.query import Term, parse_query
from archive_kit.search.snippet import highlight_terminal
from archive_kit.search.whoosh_index import (Hit, IndexDoc, SearchResult, WhooshIndex, build_index, index_exists,
                                           open_index)

SearchIndex = WhooshIndex

__all__ = ["Hit", "IndexDoc", "SearchIndex", "SearchResult", "Term", "WhooshIndex", "build_index",
           "highlight_terminal", "index_exists", "open_index", "parse_query"]
