"""``doctor``: which optional engines this machine has, what to install for the missing ones, and
which of them this repository will really use.

Every answer comes from the same lookup the work itself uses (the OCR engine ingest resolves from
``config.json``, the soffice that ``office.py`` runs, the font the PDFs embed), so doctor cannot
say "ok" about something ingest or a bundle would not find."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .config import Config
from .fonts import find_cjk_font
from .office import INSTALL_HINT, SOFFICE_ENV, soffice_path
from .ocr import DEFAULT_ENGINE, engine_status


def doctor_report(config: Config | None = None, *, root: Path | None = None, documents: int | None = None,
                  problem: str | None = None) -> dict[str, Any]:
    """A dict of components, each with ``ok`` and a ``detail`` (what was found, or an install hint).

    ``config`` is the repository's (None when there is none); ``root`` and ``documents`` describe
    it; ``problem`` says why the repository at ``root`` could not be opened."""
    engines = {name: {"ok": ok, "detail": "available" if ok else hint} for name, (ok, hint) in engine_status().items()}
    out: dict[str, Any] = {"ocr": engines, "default_ocr_engine": DEFAULT_ENGINE,
                           "ocr_engine": _ocr_engine(config, engines)}
    out["office_conversion"] = _office()
    font = find_cjk_font("any")
    out["cjk_font"] = {"ok": font is not None,
                       "detail": str(font) if font else "no CJK font (apt-get install fonts-wqy-microhei fonts-noto-cjk)"}
    if root is not None:
        if config is not None and problem is None:
            out["repository"] = {"ok": True, "root": str(root), "documents": documents, "fonds": config.fonds,
                                 "unit": config.unit}
        else:
            out["repository"] = {"ok": False, "root": str(root), "detail": problem or "no repository"}
    return out


def _ocr_engine(config: Config | None, engines: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The engine ingest will use: config.json's ``ocr_engine``, else the default (``source`` says which)."""
    configured = config.ocr_engine if config is not None else None
    name = configured or DEFAULT_ENGINE
    status = engines.get(name, {"ok": False, "detail": "unknown engine"})
    return {"name": name, "source": "config" if configured else "default", **status}


def _office() -> dict[str, Any]:
    """The soffice conversion will run: ``$ARCHIVE_KIT_SOFFICE`` when set (even when it is wrong:
    then conversion fails too, and this says why), else soffice or libreoffice on the PATH."""
    exe = soffice_path()
    override = os.environ.get(SOFFICE_ENV)
    if override:
        if exe:
            return {"ok": True, "detail": f"{exe} (from ${SOFFICE_ENV})"}
        return {"ok": False, "detail": f"${SOFFICE_ENV}={override} is not an executable file: "
                                      "office conversion will fail until it is fixed or unset"}
    if exe:
        return {"ok": True, "detail": exe}
    return {"ok": False, "detail": f"{INSTALL_HINT} libreoffice-calc-nogui"}
