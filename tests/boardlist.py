# SPDX-License-Identifier: Apache-2.0
"""The boards CI builds, read from scripts/boards.sh: the one list, which the
shell scripts source and the Python tests and benchmarks read through here."""
from __future__ import annotations

import re
from pathlib import Path
from typing import List

BOARDS_SH = Path(__file__).resolve().parents[1] / "scripts" / "boards.sh"


def ci_boards(*arrays: str) -> List[str]:
    """The boards of the named arrays of boards.sh, in order (by default
    QEMU_BOARDS, then BUILD_ONLY_BOARDS)."""
    text = BOARDS_SH.read_text()
    found: List[str] = []
    for name in arrays or ("QEMU_BOARDS", "BUILD_ONLY_BOARDS"):
        m = re.search(rf"^{name}=\(([^)]*)\)", text, re.M)
        if m is None:
            raise ValueError(f"{BOARDS_SH}: no {name}=(...) line")
        found += m.group(1).split()
    return found
