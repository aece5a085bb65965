"""The shared contract check, run against this checkout as a user's script would."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK = Path(__file__).resolve().parent.parent.parent / "shared" / "tools" / "contract_check.py"


@pytest.mark.skipif(not CHECK.is_file(), reason="shared contract check not present")
def test_contract_check_passes_every_item() -> None:
    proc = subprocess.run([sys.executable, str(CHECK), "--all"], capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1].endswith(" 0 failed")
