# SPDX-License-Identifier: Apache-2.0
"""Where dumps come from: a DumpSource lists the valid dumps a device holds and
pulls one, verified, into a file.

Two sources implement it: serial.SerialSource reads a device's dump slots over
the serial protocol (resuming an interrupted pull), probe.ProbeSource reads
them from flash through a pyOCD probe, which works while the firmware cannot
talk. The CLI's `dump pull` and crashdump.harness.collect pick one once and treat the
dumps alike.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, Protocol

if TYPE_CHECKING:
    from ..dumpfile.parse import Dump

# Called as progress(bytes_done, bytes_total) while a dump is read.
ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class Offered:
    """A valid dump a source can pull."""

    slot: int
    size: int
    crash_count: int
    body_crc: int
    address: Optional[int] = None  # where it is in flash, if the source knows


@dataclass(frozen=True)
class Pulled:
    """A dump pulled, verified and written to `path`."""

    slot: int
    path: Path
    dump: "Dump"
    size: int
    resumed_from: int   # bytes a previous, interrupted pull had already read
    seconds: float


class DumpSource(Protocol):
    """Where dumps come from (see the module's docstring)."""

    def slots(self) -> List[Offered]:
        """The valid dumps, in slot order."""
        ...

    def pull(self, slot: Offered, path: Path, progress: Optional[ProgressFn] = None) -> Pulled:
        """Reads `slot`'s dump, verifies it and writes it to `path` (raises
        DumpFormatError when it does not verify; nothing is written then)."""
        ...


def slot_path(base: Path, slot: int, n_pulled: int) -> Path:
    """Where a pulled slot goes: FILE itself when one dump is pulled; when
    several are, FILE's name with -slotN before its extension (crash.cdmp ->
    crash-slot0.cdmp, crash-slot1.cdmp), so the extension stays and the glob
    crash*.cdmp finds the dumps whatever their number."""
    if n_pulled == 1:
        return base
    return base.with_name(f"{base.stem}-slot{slot}{base.suffix}")


__all__ = ["DumpSource", "Offered", "ProgressFn", "Pulled", "slot_path"]
