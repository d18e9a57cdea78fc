# SPDX-License-Identifier: Apache-2.0
"""A decoded crash: the Report the CLI prints (text) or dumps (to_json()).

build_report() combines the dump (crashdump.dumpfile), the fault decoder, the
unwinder and, when given, the firmware ELF. It never raises for missing or
poor debug information: what could not be done becomes a warning.
"""
from __future__ import annotations

import hashlib
import string
import struct
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Protocol, Sequence

from ..dumpfile.format import REGS_V_BASEPRI, REGS_V_SPECIAL, REGS_V_SPLIM, Reason
from ..dumpfile.parse import Damage, Dump, Fpu, Ring, Thread
from ..protocol.render import plural, record_lines
from ..protocol.status import describe
from . import fault
from .elf import Elf, Symbol
from .elf_index import elf_problems
from .unwind import Backtrace, Frame, unwind, unwind_thread

_PRINTABLE = set(string.printable.encode()) - set(b"\t\n\r\x0b\x0c")

# The report's text sections, in the order they print. `summary` is the first
# screen: the crash, its cause, the crashed (or interrupted) thread, the top of
# the backtrace and the newest records of each ring, the last two only when
# their own sections are not shown in full.
SECTIONS = ("summary", "backtrace", "threads", "registers", "rings", "triage", "additional")
SUMMARY_FRAMES = 5    # backtrace frames in the summary
SUMMARY_RECORDS = 3   # newest records of each ring in the summary
SIGNATURE_FRAMES = 3  # functions a crash signature names


@dataclass(frozen=True)
class Signature:
    """What identifies a crash across dumps and CI runs: the build, the cause
    without addresses, and the top functions of the backtrace (heuristic
    frames left out), with a short hash of the three."""

    build_id: str
    cause: str
    frames: List[str]

    @property
    def hash(self) -> str:
        key = "\n".join([self.build_id, self.cause] + self.frames)
        return hashlib.sha256(key.encode()).hexdigest()[:8]

    def text(self) -> str:
        where = " < ".join(self.frames) or "?"
        return f"{self.hash}  build {self.build_id[:8] or 'none':<8}  {self.cause}  in {where}"

    def to_json(self) -> Dict[str, Any]:
        return {"hash": self.hash, "build_id": self.build_id, "cause": self.cause,
                "frames": self.frames}


class SymbolTable(Protocol):
    def symbol_at(self, addr: int, kind: Optional[str] = None) -> Optional[Symbol]: ...


@dataclass(frozen=True)
class TriageItem:
    addr: int
    length: int
    status: int
    name: str          # "demo (object, 0x20000100, 64 bytes)" or the address alone
    data: bytes
    truncated: bool


@dataclass(frozen=True)
class ThreadItem:
    """A thread of the dump, with its backtrace (the crash's, for the one that
    ran)."""

    id: int
    name: str
    current: bool
    sp: int
    stack_lo: int
    stack_hi: int
    used: int
    overflowed: bool
    backtrace: List[Frame]
    notes: List[str]

    def to_json(self) -> Dict[str, Any]:
        return {"id": f"0x{self.id:08x}", "name": self.name, "current": self.current,
                "sp": f"0x{self.sp:08x}", "stack_lo": f"0x{self.stack_lo:08x}",
                "stack_hi": f"0x{self.stack_hi:08x}", "stack_size": self.stack_hi - self.stack_lo,
                "stack_used": self.used, "overflowed": self.overflowed,
                "backtrace": [_frame_json(f) for f in self.backtrace], "notes": self.notes}


def _frame_json(f: Frame) -> Dict[str, Any]:
    return {"index": f.index, "pc": f"0x{f.pc:08x}", "sp": f"0x{f.sp:08x}",
            "function": f.function, "offset": f.offset,
            "file": f.line.file if f.line else None,
            "line": f.line.line if f.line else None, "how": f.how, "heuristic": f.heuristic}


def _frame_text(f: Frame) -> str:
    where = f"{f.function}+0x{f.offset:x}" if f.function else "??"
    mark = "?" if f.heuristic else " "
    line = f"  at {f.line}" if f.line else ""
    return f" {mark}#{f.index:<2} 0x{f.pc:08x} {where}{line}"


@dataclass
class Report:
    summary: str
    header: Dict[str, Any]
    causes: List[str]
    registers: Dict[str, int]
    backtrace: List[Frame]
    backtrace_notes: List[str]
    rings: List[Ring]
    triage: List[TriageItem]
    additional: List[Dict[str, Any]]
    warnings: List[str] = field(default_factory=list)
    context: str = ""                  # which thread crashed, or which one a handler interrupted
    threads: List[ThreadItem] = field(default_factory=list)
    damage: List[Damage] = field(default_factory=list)   # parts not decoded (salvaged dump)
    signature: Optional[Signature] = None
    fpu: Optional[Fpu] = None          # s0-s31 and FPSCR, where the crash saved them

    def to_json(self) -> Dict[str, Any]:
        return {
            "summary": self.summary, "header": self.header, "causes": self.causes,
            "registers": {k: f"0x{v:08x}" for k, v in self.registers.items()},
            "fpu": {"s": [f"0x{v:08x}" for v in self.fpu.s],
                    "fpscr": f"0x{self.fpu.fpscr:08x}"} if self.fpu else None,
            "backtrace": [_frame_json(f) for f in self.backtrace],
            "backtrace_notes": self.backtrace_notes,
            "context": self.context, "threads": [t.to_json() for t in self.threads],
            "rings": [_ring_json(r) for r in self.rings],
            "triage": [{"addr": f"0x{t.addr:08x}", "len": t.length, "status": t.status,
                        "name": t.name, "truncated": t.truncated, "hex": t.data.hex()}
                       for t in self.triage],
            "additional": self.additional, "warnings": self.warnings,
            "damaged": [{"section": d.index, "what": d.what, "offset": d.offset,
                         "len": d.length, "reason": d.reason} for d in self.damage],
            "signature": self.signature.to_json() if self.signature else None,
        }

    def text(self, sections: Sequence[str] = SECTIONS, records: Optional[int] = None) -> str:
        """The report for people: `sections` (names from SECTIONS) in their
        order, at most the newest `records` of each ring (None: all)."""
        unknown = set(sections) - set(SECTIONS)
        if unknown:
            raise ValueError(f"unknown report sections: {', '.join(sorted(unknown))}")
        out: List[str] = []
        for name in SECTIONS:
            if name in sections:
                out += getattr(self, f"_{name}_lines")(sections, records)
        if "summary" in sections:
            out += self._more_line(sections)
        return "\n".join(out)

    def _summary_lines(self, sections: Sequence[str], records: Optional[int]) -> List[str]:
        h = self.header
        out = [f"crash: {self.summary}",
               f"  {h['component'] or '?'}, crash #{h['crash_count']} in boot "
               f"#{h['boot_count']}, {h['arch']}, build-id {h['build_id'] or 'none'}"]
        out += [f"damaged: {d}" for d in self.damage]
        out += [f"warning: {w}" for w in self.warnings]
        out.append("cause:")
        out += [f"  {c}" for c in self.causes]
        if self.context:
            out.append(f"context: {self.context}")
        if "backtrace" not in sections and self.backtrace:
            out.append("backtrace:")
            out += [_frame_text(f) for f in self.backtrace[:SUMMARY_FRAMES]]
            more = len(self.backtrace) - SUMMARY_FRAMES
            if more > 0:
                out.append(f"  ... {plural(more, 'more frame')} (--sections backtrace)")
            else:
                out += [f"  ({n})" for n in self.backtrace_notes]
        if "rings" not in sections and self.rings:
            out.append(f"rings (newest {SUMMARY_RECORDS} records of each):")
            for r in self.rings:
                out.append("  " + _ring_heading(r))
                out += record_lines(r.records[-SUMMARY_RECORDS:], "    ", first_only=True,
                                    seq_width=_seq_width(r))
        return out

    def _backtrace_lines(self, sections: Sequence[str], records: Optional[int]) -> List[str]:
        if not self.backtrace:
            return []
        return (["backtrace:"] + [_frame_text(f) for f in self.backtrace]
                + [f"  ({n})" for n in self.backtrace_notes])

    def _threads_lines(self, sections: Sequence[str], records: Optional[int]) -> List[str]:
        if not self.threads:
            return []
        out = [f"threads ({len(self.threads)}):"]
        for t in self.threads:
            size = t.stack_hi - t.stack_lo
            use = "overflowed" if t.overflowed else f"{t.used} of {size} bytes used"
            out.append(f"  {'*' if t.current else ' '} {t.name or '?':<16} id 0x{t.id:08x}  "
                       f"sp 0x{t.sp:08x}  stack 0x{t.stack_lo:08x}..0x{t.stack_hi:08x}, "
                       f"{use}")
            if t.current:
                out.append("      (the crash's backtrace)")
                continue
            out += ["    " + _frame_text(f) for f in t.backtrace]
            out += [f"      ({n})" for n in t.notes]
        return out

    def _registers_lines(self, sections: Sequence[str], records: Optional[int]) -> List[str]:
        if not self.registers:
            return []
        items = list(self.registers.items())
        out = ["registers:"] + ["  " + "  ".join(f"{k:>10} {v:08x}" for k, v in items[i:i + 4])
                                for i in range(0, len(items), 4)]
        if self.fpu:
            out.append(f"  fpu: fpscr {self.fpu.fpscr:08x}")
            out += ["  " + "  ".join(f"{f's{n}':>4} {self.fpu.s[n]:08x} {_as_float(self.fpu.s[n]):<10}"
                                     for n in range(i, i + 4)).rstrip()
                    for i in range(0, len(self.fpu.s), 4)]
        return out

    def _rings_lines(self, sections: Sequence[str], records: Optional[int]) -> List[str]:
        out: List[str] = []
        for r in self.rings:
            out.append("ring " + _ring_heading(r))
            shown = r.records if records is None else r.records[-records:] if records else []
            older = len(r.records) - len(shown)
            if older:
                out.append(f"  ... {plural(older, 'older record')} not shown (--records all)")
            out += record_lines(shown, "  ", seq_width=_seq_width(r))
        return out

    def _triage_lines(self, sections: Sequence[str], records: Optional[int]) -> List[str]:
        out: List[str] = []
        for t in self.triage:
            if t.status:
                name, _ = describe(t.status)
                out.append(f"triage {t.name}: not captured ({name})")
            else:
                out.append(f"triage {t.name}{' (truncated)' if t.truncated else ''}:")
                out += [f"  {t.addr + i:08x}  {t.data[i:i + 16].hex(' ')}"
                        for i in range(0, min(len(t.data), 256), 16)]
                if len(t.data) > 256:
                    out.append(f"  ... {len(t.data) - 256} more bytes (--json has all)")
        return out

    def _additional_lines(self, sections: Sequence[str], records: Optional[int]) -> List[str]:
        out: List[str] = []
        for a in self.additional:
            out.append(f"additional data {a['guid']}: {a['len']} bytes")
            out.append(f"  {a['hex'][:64]}{'...' if a['len'] > 32 else ''}  {a['text']}")
        return out

    def _more_line(self, sections: Sequence[str]) -> List[str]:
        """What the sections not shown hold, and how to show them."""
        records = sum(len(r.records) for r in self.rings)
        held = (("backtrace", len(self.backtrace) > SUMMARY_FRAMES,
                 plural(len(self.backtrace), "frame")),
                ("threads", bool(self.threads), str(len(self.threads))),
                ("registers", bool(self.registers), ""),
                ("rings", bool(self.rings), plural(records, "record")),
                ("triage", bool(self.triage), plural(len(self.triage), "range")),
                ("additional", bool(self.additional), plural(len(self.additional), "blob")))
        hidden = [f"{name} ({detail})" if detail else name
                  for name, present, detail in held if present and name not in sections]
        if not hidden:
            return []
        return [f"more with --sections all (or NAME,...): {', '.join(hidden)}"]


def _seq_width(r: Ring) -> int:
    """One width for a ring's sequence column, however many records show."""
    return len(str(r.records[-1].seq)) if r.records else 1


def _ring_heading(r: Ring) -> str:
    return (f"{r.label!r}{' (self)' if r.is_self else ''}: {plural(len(r.records), 'record')}, "
            f"head #{r.head}, lost {r.lost}, overwritten unread {r.overwritten}"
            + (f", {r.missing} missing (truncated)" if r.missing else ""))


def printable(data: bytes) -> str:
    return "".join(chr(b) if b in _PRINTABLE else "." for b in data)


def _ring_json(r: Ring) -> Dict[str, Any]:
    return {"label": r.label, "guid": str(r.guid), "self": r.is_self, "addr": f"0x{r.addr:08x}",
            "item_size": r.item_size,
            "count": r.count, "head_seq": r.head, "tail_seq": r.tail,
            "overwritten_unread_total": r.total_lost,
            "overwritten_unread_since_last_read": r.overwritten, "missing": r.missing,
            "truncated": r.truncated,
            "records": [{"seq": rec.seq, "len": len(rec.data), "hex": rec.data.hex(),
                         "text": printable(rec.data)} for rec in r.records]}


def name_range(symbols: Optional[SymbolTable], addr: int, length: int) -> str:
    """A triage range named by the symbol covering its start."""
    sym = symbols.symbol_at(addr) if symbols is not None else None
    if sym is None:
        return f"0x{addr:08x} ({length} bytes)"
    label = sym.name if sym.addr == addr else f"{sym.name}+0x{addr - sym.addr:x}"
    extra = ""
    if addr + length > sym.addr + sym.size and sym.size:
        extra = f", beyond the {sym.size}-byte symbol"
    return f"{label} ({sym.kind}, 0x{addr:08x}, {length} bytes{extra})"


def _as_float(bits: int) -> str:
    """A single-precision register's bits as the float they hold."""
    return f"{struct.unpack('<f', struct.pack('<I', bits))[0]:.6g}"


def _registers(dump: Dump) -> Dict[str, int]:
    regs = dump.regs
    if regs is None:
        return {}
    out = {f"r{i}": v for i, v in enumerate(regs.r)}
    out.update(sp=regs.sp, lr=regs.lr, pc=regs.pc, xpsr=regs.xpsr)
    if regs.valid & REGS_V_SPECIAL or not regs.valid:
        out.update(msp=regs.msp, psp=regs.psp, exc_return=regs.exc_return,
                   control=regs.control, primask=regs.primask)
    if regs.valid & REGS_V_BASEPRI:
        out.update(basepri=regs.basepri, faultmask=regs.faultmask)
    if regs.valid & REGS_V_SPLIM:
        out.update(msplim=regs.msplim, psplim=regs.psplim)
    if dump.fault is not None:
        f = dump.fault
        out.update(cfsr=f.cfsr, hfsr=f.hfsr, dfsr=f.dfsr, mmfar=f.mmfar, bfar=f.bfar,
                   afsr=f.afsr, shcsr=f.shcsr)
    return out


def _lacks_line_info(elf: Elf, backtrace: Backtrace) -> bool:
    """True if missing file:line is the ELF's fault: it has no line table, or
    frames in its code have none. Frames outside its code (PC 0 after a stack
    overflow, a wild jump) have no line in any ELF, and hand-written assembly
    (frame 0 of an injected fault) has none of its own, so only when no frame
    in code has a file:line does the warning blame the build."""
    if not elf.has_lines:
        return True
    in_code = [f for f in backtrace.frames if elf.in_text(f.pc & ~1)]
    return bool(in_code) and all(f.line is None for f in in_code)


def elf_warnings(dump: Dump, elf: Elf) -> List[str]:
    """What is wrong with using `elf` for `dump`, or cannot be checked."""
    name, elf_id = elf.path.name, elf.build_id
    out = [f"{p}: symbols and backtrace are probably wrong"
           for p in elf_problems(name, elf.machine, elf_id, dump.header.build_id)]
    if not dump.header.build_id:
        out.append("the dump carries no build-id: cannot check that the ELF matches")
    elif elf_id is None:
        out.append(f"{name} has no GNU build-id: cannot check that it matches the dump")
    return out


def build_report(dump: Dump, elf: Optional[Elf] = None,
                 symbols: Optional[SymbolTable] = None) -> Report:
    """The report for a parsed dump; symbols default to the ELF's."""
    h = dump.header
    warnings = list(dump.warnings)
    if elf is not None:
        warnings += elf_warnings(dump, elf)
    else:
        warnings.append("no ELF: no symbols, no backtrace beyond the PC")
    backtrace: Backtrace = unwind(dump, elf)
    if elf is not None and _lacks_line_info(elf, backtrace):
        warnings.append(f"{elf.path.name} has no DWARF line info for the crashing code (built "
                        f"without -g?): no file:line")
    if elf is not None:
        warnings += elf.warnings
    syms = symbols if symbols is not None else elf
    triage = [TriageItem(b.addr, b.length if b.length is not None else len(b.data), b.status,
                         name_range(syms, b.addr, b.length or len(b.data)), b.data,
                         b.truncated) for b in dump.triage]
    additional = [{"guid": str(a.guid), "len": len(a.data), "hex": a.data.hex(),
                   "text": printable(a.data[:32])} for a in dump.additional]
    header = {"component": h.component, "crash_count": h.crash_count,
              "boot_count": h.boot_count, "reason": h.reason_name, "code": f"0x{h.code:08x}",
              "params": [f"0x{p:08x}" for p in h.params], "flags": h.flags, "stage": h.stage,
              "arch": h.arch_name, "cpuid": f"0x{h.cpuid:08x}", "build_id": h.build_id.hex(),
              "total_len": h.total_len}
    string_at = _string_reader(dump, elf)
    summary = fault.summary(dump, string_at)
    where = _crash_function(dump, backtrace)
    if where:
        summary += f" in {where}()"
    context = _context(dump)
    current = dump.current_thread
    if current is not None and context.startswith("thread"):
        summary += f", thread {current.name or hex(current.id)!r}"
    threads = [_thread_item(dump, elf, t, backtrace) for t in dump.threads]
    return Report(summary=summary, header=header, causes=fault.cause_lines(dump, string_at),
                  registers=_registers(dump), backtrace=backtrace.frames,
                  backtrace_notes=backtrace.notes, rings=dump.rings, triage=triage,
                  additional=additional, warnings=warnings, context=context, threads=threads,
                  damage=list(dump.damage), fpu=dump.fpu,
                  signature=crash_signature(dump, backtrace, string_at))


def crash_signature(dump: Dump, backtrace: Backtrace,
                    string_at: Optional[fault.StringAt] = None) -> Signature:
    """The dump's Signature: functions by name where the ELF names them, else by PC."""
    frames = [f for f in backtrace.frames if not f.heuristic]
    if dump.header.reason == Reason.BUGCHECK:
        frames = [f for f in frames if f.function not in _CRASH_ENTRIES] or frames
    return Signature(build_id=dump.header.build_id.hex(),
                     cause=fault.cause_key(dump, string_at),
                     frames=[f.function or f"0x{f.pc:08x}" for f in frames[:SIGNATURE_FRAMES]])


# Library functions a software crash passes through: the summary names their caller.
_CRASH_ENTRIES = frozenset({"cd_bugcheck", "cd_watchdog_warning"})


def _crash_function(dump: Dump, backtrace: Backtrace) -> Optional[str]:
    frames = [f for f in backtrace.frames if f.function]
    if dump.header.reason == Reason.BUGCHECK:
        frames = [f for f in frames if f.function not in _CRASH_ENTRIES] or frames
    return frames[0].function if frames else None


def _string_reader(dump: Dump, elf: Optional[Elf]) -> fault.StringAt:
    """A C string (at most 256 bytes) from the ELF's constants or the dump's memory."""
    def string_at(addr: int) -> Optional[str]:
        for read in ((elf.read if elf is not None else None), dump.read):
            if read is None:
                continue
            raw = b""
            for off in range(0, 256, 16):
                chunk = read(addr + off, 16) or read(addr + off, 1)
                if not chunk:
                    break
                raw += chunk
                if b"\0" in chunk:
                    break
            if b"\0" in raw:
                text = raw.split(b"\0", 1)[0]
                if text and all(32 <= b < 127 for b in text):
                    return text.decode("ascii")
        return None
    return string_at


def _context(dump: Dump) -> str:
    """Which thread the crash happened in, or which one an interrupt handler
    interrupted, when the firmware registers its threads."""
    current = dump.current_thread
    regs = dump.regs
    if current is None or regs is None:
        return ""
    name = repr(current.name) if current.name else f"0x{current.id:08x}"
    # (A bugcheck has no EXC_RETURN: called from a handler, IPSR says so.)
    handler = (not regs.exc_return & 0x8) if regs.exc_return else bool(regs.xpsr & 0x1FF)
    if handler:
        what = fault.exception_name(regs.xpsr & 0x1FF)
        return f"an interrupt handler ({what}), which interrupted thread {name}"
    return f"thread {name}"


def _thread_item(dump: Dump, elf: Optional[Elf], t: Thread, crash: Backtrace) -> ThreadItem:
    if t.current:
        frames, notes = crash.frames, []
    else:
        bt = unwind_thread(dump, elf, t)
        frames, notes = bt.frames, bt.notes
    return ThreadItem(id=t.id, name=t.name, current=t.current, sp=t.sp, stack_lo=t.stack_lo,
                      stack_hi=t.stack_hi, used=t.used, overflowed=t.sp_out, backtrace=frames,
                      notes=notes)


__all__ = ["SECTIONS", "Report", "Signature", "ThreadItem", "TriageItem", "build_report",
           "crash_signature", "name_range", "printable"]
