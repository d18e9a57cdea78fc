# SPDX-License-Identifier: Apache-2.0
"""A pyOCD session opened for reading dumps, and the probe listing.

Opened in pyOCD's `attach` mode with auto-unlock off: the target is not halted,
reset or erased to read its memory (Cortex-M debug reads work while it runs),
and on close it is left as found: running if it was running. pyOCD's own
exceptions are turned into ProbeError where they enter.

Through an emulator's GDB server (gdbrsp) a target that pyOCD knows only from
a CMSIS pack (e.g. stm32f407vg, the STM32F4 Discovery's) is replaced by the
generic cortex_m when no pack is given: reading memory needs neither the
pack's flash algorithms nor its debug sequences, and the dump partition comes
from the ELF or the board. With a real probe the error says which pack is
missing.
"""
from __future__ import annotations

import struct
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, List, Optional, Sequence

from ..errors import ProbeError
from .locate import SCAN_STEP, Layout

GDBRSP_HINT = ("for QEMU or Renode use gdbrsp:HOST:PORT (their GDB server; "
               "docs/gdbrsp-probe.md)")


@dataclass(frozen=True)
class ProbeInfo:
    unique_id: str
    description: str
    vendor: str
    product: str


def _pyocd_errors() -> tuple:
    from pyocd.core import exceptions
    return (exceptions.Error,)


def list_probes() -> List[ProbeInfo]:
    """Every probe pyOCD can enumerate (USB probes; TCP schemes such as
    gdbrsp: cannot be enumerated and are never listed)."""
    from pyocd.probe.aggregator import DebugProbeAggregator
    try:
        probes = DebugProbeAggregator.get_all_connected_probes()
    except _pyocd_errors() as e:
        raise ProbeError(f"pyOCD could not list probes: {e}", operation="probes") from None
    return sorted((ProbeInfo(p.unique_id, p.description, p.vendor_name or "", p.product_name
                             or "") for p in probes), key=lambda p: p.unique_id)


GENERIC_TARGET = "cortex_m"


def _builtin_target(name: str) -> bool:
    from pyocd.target import TARGET
    return name.lower() in TARGET


class ProbeSession:
    """with ProbeSession("gdbrsp:127.0.0.1:1234") as s: s.read(addr, n)"""

    def __init__(self, unique_id: str, target: Optional[str] = None,
                 packs: Sequence[str] = (), frequency: Optional[int] = None) -> None:
        self.unique_id = unique_id
        self.target_type = target or GENERIC_TARGET
        self.packs = list(packs)
        self.frequency = frequency
        self.was_running: Optional[bool] = None
        self._session: Any = None
        self._target: Any = None

    def open(self) -> "ProbeSession":
        from pyocd.core.helpers import ConnectHelper
        from pyocd.core.session import Session
        for pack in self.packs:
            if not Path(pack).is_file():
                raise ProbeError(f"CMSIS pack {pack} does not exist",
                                 hint="--pack takes a local .pack file (a device family pack "
                                      "from the vendor); nothing is downloaded")
        try:
            probes = ConnectHelper.get_all_connected_probes(
                blocking=False, unique_id=self.unique_id, print_wait_message=False)
        except _pyocd_errors() as e:
            raise ProbeError(f"cannot open probe {self.unique_id}: {e}",
                             hint=GDBRSP_HINT) from None
        if not probes:
            raise ProbeError(f"no debug probe matches {self.unique_id!r}",
                             hint=f"`crashdump probes` lists the connected ones; {GDBRSP_HINT}")
        if len(probes) > 1:
            ids = ", ".join(p.unique_id for p in probes)
            raise ProbeError(f"{len(probes)} probes match {self.unique_id!r}: {ids}",
                             hint="give more of the unique ID")
        from .gdbrsp import GdbRspProbe
        if not self.packs and isinstance(probes[0], GdbRspProbe) \
                and not _builtin_target(self.target_type):
            self.target_type = GENERIC_TARGET
        options = {"connect_mode": "attach", "auto_unlock": False,
                   "resume_on_disconnect": False, "target_override": self.target_type}
        if self.packs:
            options["pack"] = self.packs
        if self.frequency:
            options["frequency"] = self.frequency
        try:
            self._session = Session(probes[0], options=options)
            self._session.open()
            self._target = self._session.board.target
            self.was_running = not self._target.is_halted()
        except _pyocd_errors() + (KeyError, ValueError) as e:
            self._close_quietly()
            raise self._open_error(e) from None
        return self

    def _open_error(self, e: Exception) -> ProbeError:
        from pyocd.core.exceptions import TargetSupportError
        if "CMSIS-Pack" in str(e):
            return ProbeError(f"cannot use the CMSIS pack: {e}",
                              hint="--pack takes a device family pack (a .pack zip file with "
                                   "a .pdsc) from the device vendor")
        if isinstance(e, TargetSupportError) or "not recognized" in str(e):
            return ProbeError(f"pyOCD does not know target {self.target_type!r} (it is not "
                              f"built in and no CMSIS pack was given): {e}",
                              hint="pass the device's CMSIS pack with --pack FILE (for an "
                                   "STM32F4: Keil.STM32F4xx_DFP), or --target cortex_m: reading "
                                   "dumps needs no flash algorithm; `pyocd list --targets` "
                                   "names the built-in targets")
        return ProbeError(f"cannot connect to the target through {self.unique_id}: {e}",
                          hint="is the target powered and the probe wired to SWD? "
                               "--target names the device (default cortex_m)")

    def read(self, addr: int, length: int) -> bytes:
        """Target memory. Word-aligned reads go straight to the core's access
        port: the target-level read would also run pyOCD's software-breakpoint
        filter over every word, which costs more than the transfer, and this
        session never sets breakpoints."""
        try:
            if addr % 4 == 0 and length % 4 == 0:
                core = getattr(self._target, "selected_core", None)
                mem = core.ap if core is not None and hasattr(core, "ap") else self._target
                words = mem.read_memory_block32(addr, length // 4)
                return struct.pack(f"<{len(words)}I", *words)
            return bytes(self._target.read_memory_block8(addr, length))
        except _pyocd_errors() as e:
            raise ProbeError(f"reading {length} bytes at 0x{addr:08x} failed: {e}") from None

    @contextmanager
    def reading(self) -> Iterator["ProbeSession"]:
        """Around a batch of reads. A real probe reads while the target runs,
        so nothing is done. An emulator's GDB stub (gdbrsp) serves memory only
        while the guest is stopped and would pause and resume it around every
        read (four extra packets each); holding it stopped once for the batch
        is faster and gives one consistent view. It runs again afterwards."""
        from .gdbrsp import GdbRspProbe
        hold = isinstance(self._session.probe, GdbRspProbe) and not self._target.is_halted()
        if hold:
            self._target.halt()
        try:
            yield self
        finally:
            if hold:
                self._target.resume()

    def flash_regions(self) -> List[Layout]:
        """The target's non-volatile regions to scan, from its pyOCD memory
        map: flash, and ROM (a pack's IROM without a flash algorithm)."""
        regions = []
        for r in self._target.memory_map.regions:
            if not (r.is_flash or r.is_rom):
                continue
            # slots start on erase units of the partition, a multiple of the
            # region's (first) erase unit: scanning at that step finds them all
            step = max(SCAN_STEP, int(getattr(r, "blocksize", 0) or 0))
            regions.append(Layout(r.start, r.length, f"flash region {r.name} of "
                                  f"{self.target_type}", step=step))
        return regions

    def close(self) -> None:
        if self._session is None:
            return
        try:
            if self.was_running and self._target.is_halted():
                self._target.resume()
        except _pyocd_errors():
            pass
        self._close_quietly()

    def _close_quietly(self) -> None:
        try:
            if self._session is not None:
                self._session.close()
        except _pyocd_errors():
            pass
        self._session = None

    def __enter__(self) -> "ProbeSession":
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()
