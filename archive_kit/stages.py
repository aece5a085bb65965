"""Write-stage markers, for the crash tests and for anyone checking where a command stopped.

Off unless the environment asks for them (one dictionary lookup per call otherwise):

- ``ARCHIVE_KIT_STAGE_LOG=FILE``: each write stage a command reaches appends one line
  ``<pid> <stage>`` to FILE (opened, written and closed at once, so a SIGKILL right after the call
  still leaves the line).
- ``ARCHIVE_KIT_STAGE_HOLD=STAGE`` (with the log): on reaching STAGE the process stops there and
  waits to be killed, so a test can SIGKILL it at exactly that stage instead of after a guessed delay.

Stages are named where they are marked: ``ingest-store`` (an original stored, its row not yet
catalogued), ``ingest-catalogue``, ``tag-catalogue`` and ``number-catalogue`` (rows written,
transaction not yet committed), ``index-update`` and ``index-queue-clear`` (catalogue committed,
search index being brought up to it), ``index-rebuild-write``, ``index-rebuild-publish``,
``index-rebuild-swap`` and ``index-rebuild-queue-clear`` (a rebuild building aside, then switching).
"""
from __future__ import annotations

import os
import time

LOG_ENV = "ARCHIVE_KIT_STAGE_LOG"
HOLD_ENV = "ARCHIVE_KIT_STAGE_HOLD"


def mark(stage: str) -> None:
    """Note that this process reached ``stage`` (and wait there to be killed, when asked to)."""
    path = os.environ.get(LOG_ENV)
    if not path:
        return
    with open(path, "a", encoding="utf-8") as f:
        f.write(f"{os.getpid()} {stage}\n")
    if os.environ.get(HOLD_ENV) == stage:
        while True:
            time.sleep(3600)
