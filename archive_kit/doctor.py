"""``doctor``: which optional engines this machine has, and what to install for the missing ones."""
from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .repo import Repo


def doctor_report(repo: "Repo | None" = None) -> dict[str, Any]:
    """A dict of components, each with ``ok`` and a ``detail`` or install hint."""
    from .fonts import find_cjk_font
    from .ocr import DEFAULT_ENGINE, engine_status

    out: dict[str, Any] = {"ocr": {}, "default_ocr_engine": DEFAULT_ENGINE}
    for name, (ok, hint) in engine_status().items():
        out["ocr"][name] = {"ok": ok, "detail": "available" if ok else hint}
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    out["office_conversion"] = {
        "ok": bool(soffice),
        "detail": soffice or "LibreOffice not found (apt-get install libreoffice-writer-nogui libreoffice-calc-nogui)",
    }
    font = find_cjk_font("any")
    out["cjk_font"] = {"ok": font is not None, "detail": str(font) if font else "no CJK font (apt-get install fonts-wqy-microhei fonts-noto-cjk)"}
    if repo is not None:
        out["repository"] = {"root": str(repo.root), "documents": repo.catalogue.count(),
                             "fonds": repo.config.fonds, "unit": repo.config.unit}
    return out
