# SPDX-License-Identifier: Apache-2.0
"""Crash dumps for test harnesses: pull a device's dumps into a folder, decode
them against the firmware ELF, and write each report next to its dump.

    collector = Collector("out/crashdumps", elf="build/app.elf")
    with Client.open("socket://127.0.0.1:3456") as dev:
        for crash in collector.from_client(dev, "MySuite-test_boot"):
            print(crash.summary, crash.path, crash.report_path)

The Robot Framework library (crashdump.robot) and the pytest plugin
(crashdump.pytest_plugin) are built on this; it prints nothing. A Collector
reports each dump once (by crash count and body CRC), so a dump still in flash
at the next check, or read again through another path, is not a new crash.
Dumps are pulled over the serial protocol (from_client) or read from flash
through a pyOCD probe such as gdbrsp:HOST:PORT (from_probe), which works while
the firmware cannot talk.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional, Set, Tuple, Union

from ..dumpfile.parse import Dump
from ..errors import CrashdumpError
from ..protocol.render import document

if TYPE_CHECKING:
    from ..decode.elf import Elf
    from ..decode.report import Report
    from ..protocol.client import Client
    from ..pull import DumpSource

PathLike = Union[str, Path]


@dataclass(frozen=True)
class Crash:
    """One pulled, verified and decoded dump, with the files written for it."""

    slot: int
    path: Path          # the dump as pulled (FILE.cdmp)
    report_path: Path   # the decoded report as text (FILE.txt)
    json_path: Path     # ... and as JSON (FILE.json, as `crashdump --json decode`)
    dump: Dump
    report: "Report"

    @property
    def summary(self) -> str:
        """One line: "BusFault: precise bus fault at 0x60000000 in f()"."""
        return self.report.summary

    @property
    def text(self) -> str:
        return self.report.text()


def safe_name(text: str, limit: int = 80) -> str:
    """A file name stem from a test's name: letters, digits, '.', '-', '_'."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "crash"
    return stem[:limit]


class Collector:
    """Pulls dumps into `folder` and decodes them against `elf` (optional:
    without it the report has no symbols). Not thread-safe."""

    def __init__(self, folder: PathLike, elf: Optional[PathLike] = None) -> None:
        self.folder = Path(folder)
        self.elf_path = Path(elf) if elf is not None else None
        self.seen: Set[Tuple[int, int]] = set()  # (crash_count, body_crc) of reported dumps
        self._elf: Optional["Elf"] = None

    def set_elf(self, elf: Optional[PathLike]) -> None:
        new = Path(elf) if elf is not None else None
        if new != self.elf_path:
            self.elf_path, self._elf = new, None

    def elf(self) -> Optional["Elf"]:
        """The ELF, opened once; a clear CrashdumpError if it cannot be."""
        if self.elf_path is None:
            return None
        if self._elf is None:
            from ..decode.elf import Elf
            if not self.elf_path.is_file():
                raise CrashdumpError(f"ELF {self.elf_path} does not exist",
                                     operation="decode crash dumps")
            self._elf = Elf(self.elf_path)
        return self._elf

    # ------------------------------------------------------------ sources

    def from_client(self, client: "Client", name: str, erase: bool = False) -> List[Crash]:
        """Pulls every valid dump the device holds that this collector has not
        reported yet. With erase, each slot pulled (and verified) is erased
        afterwards, proven by its body CRC, so the next check starts clean."""
        from ..pull.serial import SerialSource

        def erase_slot(crash: Crash) -> None:
            client.dump_erase(crash.slot, crash.dump.header.body_crc)
        return self.from_source(SerialSource(client), name, erase_slot if erase else None)

    def from_probe(self, probe: str, name: str, board: Optional[str] = None,
                   target: Optional[str] = None) -> List[Crash]:
        """Reads every valid dump from flash through a pyOCD probe (a unique ID,
        or gdbrsp:HOST:PORT for QEMU's or Renode's GDB server). The ELF's
        cd_dump_locator, else `board`'s partition, says where they are."""
        from ..probe.locate import BOARD_PARTITIONS
        from ..pull.probe import ProbeSource
        partition = None
        if board is not None:
            partition = BOARD_PARTITIONS.get(board)
            if partition is None:
                raise CrashdumpError(f"unknown board {board!r} (known: "
                                     f"{', '.join(sorted(BOARD_PARTITIONS))})",
                                     operation="dump pull")
        return self.from_source(ProbeSource(probe, self.elf(), partition, target), name)

    def from_source(self, source: "DumpSource", name: str,
                    then: Optional[Callable[[Crash], None]] = None) -> List[Crash]:
        """Pulls every valid dump `source` offers that this collector has not
        reported yet, decodes it and calls `then` with it."""
        crashes = []
        for slot in source.slots():
            if (slot.crash_count, slot.body_crc) in self.seen:
                continue
            path = self._free_path(name, slot.slot)
            try:
                pulled = source.pull(slot, path)
            except CrashdumpError as e:
                e.operation = e.operation or f"dump pull slot {slot.slot}"
                raise
            crashes.append(self._decoded(slot.slot, path, pulled.dump))
            if then:
                then(crashes[-1])
        return crashes

    # ------------------------------------------------------------ helpers

    def _free_path(self, name: str, slot: int) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = f"{safe_name(name)}-slot{slot}"
        path, n = self.folder / f"{stem}.cdmp", 1
        while path.exists() or path.with_suffix(".txt").exists():
            n += 1
            path = self.folder / f"{stem}-{n}.cdmp"
        return path

    def _decoded(self, slot: int, path: Path, dump: Dump) -> Crash:
        from ..decode.report import build_report
        report = build_report(dump, self.elf())
        text_path, json_path = path.with_suffix(".txt"), path.with_suffix(".json")
        text_path.write_text(report.text() + "\n")
        json_path.write_text(json.dumps(document(report.to_json()), indent=2) + "\n")
        self.seen.add((dump.header.crash_count, dump.header.body_crc))
        return Crash(slot, path, text_path, json_path, dump, report)


__all__ = ["Collector", "Crash", "safe_name"]
