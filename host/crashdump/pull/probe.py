# SPDX-License-Identifier: Apache-2.0
"""Dumps read from flash through a pyOCD probe (a unique ID, or gdbrsp:HOST:PORT
for QEMU's or Renode's GDB server), which works while the firmware cannot talk.
The ELF's cd_dump_locator, else a board's partition, else the target's flash
regions say where they are (probe/locate.py).

slots() reads every valid dump in one probe session, which leaves the target
as it found it; pull() then writes one of them to its file.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence

from ..probe.locate import CountingReader, Found, Retrieved, locate, read_dumps
from . import Offered, ProgressFn, Pulled

if TYPE_CHECKING:
    from ..decode.elf import Elf
    from ..probe.locate import BoardPartition
    from ..probe.locate import ProgressFn as LabelledProgressFn


class ProbeSource:
    """The dumps in a target's flash (a DumpSource). After slots(), `retrieved`
    says what was read (layouts, dumps skipped as corrupt, bytes, seconds) and
    `target_state` whether the target was left "running" or "halted"."""

    def __init__(self, probe: str, elf: Optional["Elf"] = None,
                 board: Optional["BoardPartition"] = None, target: Optional[str] = None,
                 packs: Sequence[str] = (),
                 progress: Optional["LabelledProgressFn"] = None) -> None:
        self.probe, self.elf, self.board, self.packs = probe, elf, board, packs
        self.target = target or (board.target if board else None)
        self.progress = progress
        self.retrieved: Optional[Retrieved] = None
        self.target_state = ""
        self._found: Dict[int, Found] = {}

    def slots(self) -> List[Offered]:
        from ..probe.session import ProbeSession  # on use, so tests can stand in for it
        with ProbeSession(self.probe, target=self.target, packs=self.packs) as session:
            regions = (session.flash_regions()
                       if self.elf is None and self.board is None else None)
            read = CountingReader(session.read)
            with session.reading():
                layouts = locate(read, self.elf, self.board, regions)
                self.retrieved = read_dumps(read, layouts, self.progress)
            self.target_state = "running" if session.was_running else "halted"
        self._found = {f.index: f for f in self.retrieved.found}
        return [Offered(f.index, len(f.data), f.dump.header.crash_count,
                        f.dump.header.body_crc, f.address) for f in self.retrieved.found]

    def pull(self, slot: Offered, path: Path, progress: Optional[ProgressFn] = None) -> Pulled:
        found = self._found[slot.slot]
        path.write_bytes(found.data)
        return Pulled(slot.slot, path, found.dump, len(found.data), 0, 0.0)


__all__ = ["ProbeSource"]
