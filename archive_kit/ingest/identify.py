"""Stage 2, identify: hash a file's bytes and detect its format from its content."""
from __future__ import annotations

import os
import stat

from ..errors import InputFileError
from ..formats import detect
from ..store import hash_file
from .records import Item


def identify(item: Item) -> Item:
    """Hash the bytes and detect the format from content; raises InputFileError for unusable files."""
    name = str(item.path)
    try:
        st = os.stat(item.path)
    except FileNotFoundError:
        raise InputFileError(name, "broken symbolic link or file vanished") from None
    except OSError as e:
        raise InputFileError(name, f"cannot read file: {e.strerror or e}") from None
    if not stat.S_ISREG(st.st_mode):
        raise InputFileError(name, "not a regular file (device, pipe or socket)")
    if not os.access(item.path, os.R_OK):
        raise InputFileError(name, "cannot read file: permission denied")
    if st.st_size == 0:
        raise InputFileError(name, "file is empty (0 bytes)")
    item.format = detect(item.path)
    item.sha256 = hash_file(item.path)
    return item
