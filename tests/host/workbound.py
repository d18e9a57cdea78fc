# SPDX-License-Identifier: Apache-2.0
"""A deterministic work meter for parser tests: executed Python lines, not time."""
from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Callable, Optional

LINES_PER_BYTE = 4      # budget per input byte, lines of Python
LINES_FIXED = 20_000    # plus a constant (imports, enum lookups, dataclass set-up)


class WorkExceeded(Exception):
    pass


def run_bounded(fn: Callable[[], Any], n_bytes: int, per_byte: int = LINES_PER_BYTE) -> Any:
    """Runs fn() with a budget of LINES_FIXED + per_byte * n_bytes executed
    lines; raises WorkExceeded past it."""
    budget = LINES_FIXED + per_byte * n_bytes
    used = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Optional[Callable[..., Any]]:
        nonlocal used
        if event == "line":
            used += 1
            if used > budget:
                raise WorkExceeded(f"more than {budget} lines for {n_bytes} input bytes")
        return tracer

    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        return fn()
    finally:
        sys.settrace(old)
