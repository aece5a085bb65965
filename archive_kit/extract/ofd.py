"""OFD (GB/T 33190) documents in the extractor registry; the reading itself is ``archive_kit.ofd``."""
from __future__ import annotations

from ..ofd.extract import extract_ofd
from . import register

register("ofd")(extract_ofd)
