# SPDX-License-Identifier: Apache-2.0
"""What GDB sees of a crash: registers and memory built from a Dump and the ELF.

Pure: no sockets, no printing. The server (server.py) turns these into RSP
replies. The register set is described to GDB by target_xml(), so its order
here is the `g` packet's order and the `p` packet's numbering:

  org.gnu.gdb.arm.m-profile   r0-r12, sp, lr, pc, xpsr       (always)
  org.gnu.gdb.arm.m-system    msp, psp                       (when captured; the
                              active one as the interrupted code had it, = sp)
  org.gnu.gdb.arm.vfp         d0-d15, fpscr                  (FPU dumps; GDB derives s0-s31)
  org.crashdump.arm.m-special exc_return, control, primask, basepri,
                              faultmask, msplim, psplim      (as captured)

A register the dump did not capture (its `valid` bit clear) reads as
unavailable ("xx.."), never as zero; the one exception is a missing PC, which
GDB cannot attach without (see NO_PC). Memory comes from the dump's stack,
rings (at the RAM address each RING section records) and triage blocks, the
captured fault status registers at their SCB addresses and then the ELF's
read-only sections (code, .rodata: never writable, so the
ELF's bytes are what the device held); anything else is unreadable, so GDB says
"Cannot access memory" instead of showing zeros a device never held.
"""
from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass
from typing import List, Optional, Tuple

import dataclasses

from ..decode.elf import Elf
from ..decode.fault import has_status_registers
from ..decode.unwind import saved_context
from ..dumpfile.format import (REGS_V_BASEPRI, REGS_V_CALLEE, REGS_V_FRAME, REGS_V_SPECIAL,
                               REGS_V_SPLIM, Reason)
from ..dumpfile.parse import Dump, Thread

# GDB's signal numbers (include/gdb/signals.def), as a stop reply carries them.
SIGINT, SIGILL, SIGABRT, SIGFPE, SIGBUS, SIGSEGV, SIGALRM = 2, 4, 6, 8, 10, 11, 14

FEATURE_CORE = "org.gnu.gdb.arm.m-profile"
FEATURE_SYSTEM = "org.gnu.gdb.arm.m-system"
FEATURE_VFP = "org.gnu.gdb.arm.vfp"
FEATURE_SPECIAL = "org.crashdump.arm.m-special"

# Fault status registers in the System Control Block, as cd_dump_fault_t holds them.
SCB_CPUID = 0xE000ED00
SCB_FAULT_REGS = (("ccr", 0xE000ED14), ("shcsr", 0xE000ED24), ("cfsr", 0xE000ED28),
                  ("hfsr", 0xE000ED2C), ("dfsr", 0xE000ED30), ("mmfar", 0xE000ED34),
                  ("bfar", 0xE000ED38), ("afsr", 0xE000ED3C))
UFSR_DIVBYZERO = 1 << 25
NO_PC = 0


@dataclass(frozen=True)
class Register:
    """One register as target.xml declares it; value None = not captured."""

    name: str
    bits: int
    type: str          # target.xml type: uint32, data_ptr, code_ptr, ieee_double
    feature: str
    value: Optional[int]
    group: Optional[str] = None

    def hex(self) -> bytes:
        """Target byte order (little-endian) hex, or x's when not captured."""
        n = self.bits // 8
        if self.value is None:
            return b"xx" * n
        return (self.value & ((1 << self.bits) - 1)).to_bytes(n, "little").hex().encode()


@dataclass(frozen=True)
class Region:
    addr: int
    data: bytes
    source: str        # "stack", "ring", "triage", "elf", "scb": for messages and tests

    @property
    def end(self) -> int:
        return self.addr + len(self.data)


class Target:
    """The crashed core, frozen at the dump."""

    def __init__(self, dump: Dump, elf: Optional[Elf] = None) -> None:
        self.dump = dump
        self.elf = elf
        self.registers: List[Register] = _registers(dump)
        # GDB threads: 1 is the crashed context; 2.. the dump's other threads,
        # their registers from the context their scheduler saved.
        self.threads: List[Tuple[int, str, List[Register]]] = _threads(dump, self.registers)
        self.selected = 1
        self.regions: List[Region] = _regions(dump)
        self._starts = [r.addr for r in self.regions]
        self.warnings: List[str] = []
        if dump.regs is None:
            self.warnings.append("the dump has no registers: GDB will show none")
        elif self.register("pc").value == NO_PC and self.register("lr").value is None:
            self.warnings.append("the dump holds no PC (the exception frame was not captured, "
                                 "e.g. a stack overflow): GDB is given pc = 0 so that it can "
                                 "attach; lr, r0-r3, r12 and xpsr are unavailable")

    # ------------------------------------------------------------ registers

    def register(self, name: str) -> Register:
        for r in self.registers:
            if r.name == name:
                return r
        raise KeyError(name)

    def _selected_registers(self) -> List[Register]:
        for tid, _, regs in self.threads:
            if tid == self.selected:
                return regs
        return self.registers

    def select_thread(self, tid: int) -> bool:
        """`Hg`: later register reads are thread tid's (0 or -1: any, the first)."""
        if tid in (0, -1):
            tid = 1
        if not any(t == tid for t, _, _ in self.threads):
            return False
        self.selected = tid
        return True

    def thread_ids(self) -> List[int]:
        return [tid for tid, _, _ in self.threads]

    def thread_name(self, tid: int) -> Optional[str]:
        return next((name for t, name, _ in self.threads if t == tid), None)

    def read_registers(self) -> bytes:
        """The `g` reply: every register in target.xml order."""
        return b"".join(r.hex() for r in self._selected_registers())

    def read_register(self, number: int) -> Optional[bytes]:
        """The `p` reply for register `number`, or None if there is no such register."""
        regs = self._selected_registers()
        if 0 <= number < len(regs):
            return regs[number].hex()
        return None

    def target_xml(self) -> bytes:
        features: List[str] = []
        order: List[str] = []
        for r in self.registers:
            if r.feature not in order:
                order.append(r.feature)
        for feature in order:
            lines = [f'  <feature name="{feature}">']
            for r in self.registers:
                if r.feature == feature:
                    group = f' group="{r.group}"' if r.group else ""
                    lines.append(f'    <reg name="{r.name}" bitsize="{r.bits}" '
                                 f'type="{r.type}"{group}/>')
            lines.append("  </feature>")
            features.append("\n".join(lines))
        return ('<?xml version="1.0"?>\n<!DOCTYPE target SYSTEM "gdb-target.dtd">\n'
                '<target version="1.0">\n  <architecture>arm</architecture>\n'
                + "\n".join(features) + "\n</target>\n").encode()

    # ------------------------------------------------------------ memory

    def read_memory(self, addr: int, size: int) -> bytes:
        """The longest readable prefix of [addr, addr + size): empty if addr itself
        is not held. Adjacent regions are joined, so a read may span two."""
        out = bytearray()
        while len(out) < size:
            at = addr + len(out)
            region = self._region_at(at)
            if region is not None:
                off = at - region.addr
                out += region.data[off:off + size - len(out)]
                continue
            got = self._read_elf(at, size - len(out))
            if not got:
                break
            out += got
        return bytes(out)

    def _read_elf(self, addr: int, size: int) -> bytes:
        """The longest prefix the ELF's read-only sections hold (Elf.read wants the
        whole range inside one section, so search for the largest that is)."""
        if self.elf is None or self.elf.read(addr, 1) is None:
            return b""
        lo, hi = 1, size
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.elf.read(addr, mid) is not None:
                lo = mid
            else:
                hi = mid - 1
        return self.elf.read(addr, lo) or b""

    def _region_at(self, addr: int) -> Optional[Region]:
        i = bisect.bisect_right(self._starts, addr) - 1
        # regions may overlap (a triage range inside the stack): look back a few
        while i >= 0:
            r = self.regions[i]
            if r.addr <= addr < r.end:
                return r
            if addr - r.addr > 1 << 24:
                break
            i -= 1
        return None

    # ------------------------------------------------------------ stop

    @property
    def stop_signal(self) -> int:
        """A GDB signal number for the crash kind, so `info program` and the
        attach message say what happened."""
        h = self.dump.header
        if h.reason == Reason.BUGCHECK:
            return SIGABRT
        if h.reason == Reason.WATCHDOG:
            return SIGALRM
        if h.code == 2:
            return SIGINT      # NMI
        if h.code == 5:
            return SIGBUS
        if h.code == 6:
            f = self.dump.fault
            return SIGFPE if f is not None and f.cfsr & UFSR_DIVBYZERO else SIGILL
        return SIGSEGV


def _registers(dump: Dump) -> List[Register]:
    regs = dump.regs
    valid = regs.valid if regs is not None else 0
    # valid == 0 with registers present: a writer that predates the bits; trust all
    everything = regs is not None and valid == 0

    def has(bit: int) -> bool:
        return regs is not None and (everything or bool(valid & bit))

    out: List[Register] = []
    frame_regs = {0, 1, 2, 3, 12}
    for n in range(13):
        ok = has(REGS_V_FRAME) if n in frame_regs else has(REGS_V_CALLEE)
        out.append(Register(f"r{n}", 32, "uint32", FEATURE_CORE,
                            regs.r[n] if ok and regs is not None else None))
    frame = has(REGS_V_FRAME)
    out.append(Register("sp", 32, "data_ptr", FEATURE_CORE,
                        regs.sp if regs is not None else None))
    out.append(Register("lr", 32, "uint32", FEATURE_CORE, regs.lr if frame and regs else None))
    # GDB drops the connection when the PC is unavailable, and then shows the
    # ELF's zeros for RAM: with registers but no frame (stack overflow), pc = 0
    # keeps it attached to the dump; Target.warnings says so.
    out.append(Register("pc", 32, "code_ptr", FEATURE_CORE,
                        (regs.pc if frame else NO_PC) if regs is not None else None))
    out.append(Register("xpsr", 32, "uint32", FEATURE_CORE,
                        regs.xpsr if frame and regs else None))
    if regs is None:
        return out
    special = has(REGS_V_SPECIAL)
    if special:
        msp, psp = interrupted_msp_psp(dump)
        out.append(Register("msp", 32, "data_ptr", FEATURE_SYSTEM, msp, "system"))
        out.append(Register("psp", 32, "data_ptr", FEATURE_SYSTEM, psp, "system"))
    if dump.fpu is not None:
        s = dump.fpu.s
        for n in range(16):
            out.append(Register(f"d{n}", 64, "ieee_double", FEATURE_VFP,
                                s[2 * n] | s[2 * n + 1] << 32, "float"))
        out.append(Register("fpscr", 32, "uint32", FEATURE_VFP, dump.fpu.fpscr, "float"))
    extra: List[Tuple[str, int]] = []
    if special:
        extra += [("exc_return", regs.exc_return), ("control", regs.control),
                  ("primask", regs.primask)]
    if has(REGS_V_BASEPRI):
        extra += [("basepri", regs.basepri), ("faultmask", regs.faultmask)]
    if has(REGS_V_SPLIM):
        extra += [("msplim", regs.msplim), ("psplim", regs.psplim)]
    out += [Register(name, 32, "uint32", FEATURE_SPECIAL, value, "system")
            for name, value in extra]
    return out


def _threads(dump: Dump, crashed: List[Register]) -> List[Tuple[int, str, List[Register]]]:
    """(GDB thread id, name, registers) for the crashed context and every other
    thread of the dump. A switched-out thread has the registers its saved
    context holds (docs/dump-format.md, "Saved-context layouts"); the rest are
    unavailable."""
    current = dump.current_thread
    name = current.name if current is not None and current.name else "crashed context"
    out = [(1, name, crashed)]
    for t in dump.threads:
        if t.current:
            continue
        out.append((len(out) + 1, t.name or f"0x{t.id:08x}", _thread_registers(dump, t, crashed)))
    return out


def _thread_registers(dump: Dump, thread: Thread, layout: List[Register]) -> List[Register]:
    saved = saved_context(dump, thread) or {}
    core = {f"r{n}": saved.get(n) for n in range(13)}
    core.update(sp=saved.get(13), lr=saved.get(14), pc=saved.get(15), xpsr=saved.get(16),
                psp=saved.get(13), exc_return=saved.get(17))
    fp = [saved.get(100 + n) for n in range(32)]
    for n in range(16):
        lo, hi = fp[2 * n], fp[2 * n + 1]
        core[f"d{n}"] = lo | hi << 32 if lo is not None and hi is not None else None
    core["fpscr"] = saved.get(132)
    if core["pc"] is None:
        core["pc"] = NO_PC  # GDB needs a PC to list the thread
    # Core-wide registers (MSP, the masks, CONTROL) are the crash's: GDB's
    # M-profile unwinder needs MSP to tell the stacks apart.
    shared = {r.name: r.value for r in layout
              if r.name in ("msp", "control", "primask", "basepri", "faultmask", "msplim")}
    core.update(shared)
    return [dataclasses.replace(r, value=core.get(r.name)) for r in layout]


def interrupted_msp_psp(dump: Dump) -> Tuple[int, int]:
    """MSP and PSP as the interrupted code had them. The dump holds them as the
    handler saw them, with the exception frame pushed on the active one; GDB
    shows the interrupted context (sp = the dump's sp, frame undone) and warns
    when sp matches neither, so the active one (EXC_RETURN bit 2) is that sp.
    The handler's values stay visible through exc_return and `crashdump decode`."""
    regs = dump.regs
    assert regs is not None
    msp, psp = regs.msp, regs.psp
    if regs.exc_return >> 24 == 0xFF:
        if regs.exc_return & 0x4:
            psp = regs.sp
        else:
            msp = regs.sp
    return msp, psp


def _regions(dump: Dump) -> List[Region]:
    regions = [Region(b.addr, b.data, "stack" if b is dump.stack else "triage")
               for b in dump.memory()]
    regions += [Region(r.addr, r.raw, "ring") for r in dump.rings if r.addr and r.raw]
    regions.append(Region(SCB_CPUID, struct.pack("<I", dump.header.cpuid), "scb"))
    if dump.fault is not None and has_status_registers(dump.header.arch):
        regions += [Region(addr, struct.pack("<I", getattr(dump.fault, name)), "scb")
                    for name, addr in SCB_FAULT_REGS]
    regions.sort(key=lambda r: r.addr)
    return regions
