"""archive-kit: evidence archives for the 三创建 campaigns.

``Archive`` is the entry point: ``Archive.init(path, fonds=…)`` or ``Archive.open(path)``.
"""
from .archive import Archive
from .errors import ArchiveKitError

__all__ = ["Archive", "ArchiveKitError"]
__version__ = "0.1.0"
