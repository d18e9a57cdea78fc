# SPDX-License-Identifier: Apache-2.0
"""Backtrace from a dump's registers and stack memory.

Frame 0 is the PC the dump recorded: for a fault, the faulting instruction of
the interrupted code (the dump's registers are that context, stacked frame
undone). Each caller is found with the DWARF CFI (.debug_frame) of the current
function: CFA = rule register + offset, saved registers read from CFA + offset
in the captured stack, the return address from the saved LR. A return into
an EXC_RETURN value crosses an exception frame: the interrupted context's
r0-r3, r12, lr, pc, xpsr are read from the stack EXC_RETURN names (bit 2: the
process stack, whose captured PSP the frame starts at; a fault in an
interrupt handler continues into the thread it interrupted, whose stack the
dump holds as its INTERRUPTED section).

Threads (dump.threads): a thread's backtrace ends at its entry function,
the frame whose caller's stack pointer would be the top of the thread's
stack; a switched-out thread's starts from the registers its scheduler saved
on its stack (saved_context()).

Where there is no CFI for a PC (assembly, a library built without -g) or the
stack bytes needed are not in the dump, the rest of the stack is scanned for
values that look like return addresses (odd, inside .text, right after a BL or
BLX); those frames are marked heuristic: they may include stale values.
Unwinding stops at main/Reset_Handler, a thread's entry function, an address
outside .text, when the stack pointer stops moving up, or after MAX_FRAMES;
a note says why whenever the reason is not one of the first two.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from ..dumpfile.format import REGS_V_SPECIAL, ContextLayout
from ..dumpfile.parse import Dump, MemBlock, Regs, Thread
from .elf import Elf, LineInfo

MAX_FRAMES = 48
STOP_FUNCTIONS = frozenset({"main", "Reset_Handler", "_start", "_mainCRTStartup"})
SP, LR, PC = 13, 14, 15
# A thread's entry function is the frame whose CFA lies this close to the top of
# its stack (schedulers start a thread with its SP at, or a few words below,
# it) and whose "return address" is the scheduler's exit stub, which no call
# instruction precedes.
ENTRY_SLACK = 32

ReadU32 = Callable[[int], Optional[int]]


@dataclass(frozen=True)
class Frame:
    index: int
    pc: int                  # address of the instruction (frame 0) or the return address
    sp: int
    function: Optional[str]
    offset: int              # pc - function start
    line: Optional[LineInfo]
    how: str                 # "registers", "cfi", "lr", "exception", "heuristic"

    @property
    def heuristic(self) -> bool:
        return self.how in ("heuristic", "lr")


@dataclass
class Backtrace:
    frames: List[Frame]
    notes: List[str]


def is_exc_return(value: int) -> bool:
    return value >> 24 == 0xFF


def _describe(elf: Optional[Elf], index: int, pc: int, sp: int, how: str) -> Frame:
    addr = pc & ~1
    # A return address points after the call: look up the call itself for the line.
    look = addr if index == 0 or how == "exception" else max(0, addr - 2)
    sym = elf.symbol_at(look, "func") if elf else None
    line = elf.line_at(look) if elf else None
    return Frame(index, addr, sp, sym.name if sym else None, addr - sym.addr if sym else 0,
                 line, how)


def unwind(dump: Dump, elf: Optional[Elf]) -> Backtrace:
    """The backtrace of the crashed context (see the module docstring)."""
    regs = dump.regs
    if regs is None:
        return Backtrace([], ["no registers in the dump: no backtrace"])
    r: Dict[int, Optional[int]] = dict(enumerate(regs.core()))
    psp = regs.psp if regs.valid & REGS_V_SPECIAL else None
    thread = dump.current_thread
    # In thread mode the crash is on the current thread's stack; in a handler,
    # only once the unwind crosses into the thread it interrupted.
    in_thread = bool(regs.exc_return) and regs.exc_return & 0x8 != 0
    top = thread.stack_hi if thread is not None and (in_thread or not regs.exc_return) \
        and thread.stack_lo <= regs.sp <= thread.stack_hi else None
    return _unwind(dump, elf, r, "registers", psp=psp, thread=thread, top=top)


def unwind_thread(dump: Dump, elf: Optional[Elf], thread: Thread) -> Backtrace:
    """The backtrace of a switched-out thread, from its saved context."""
    regs = saved_context(dump, thread)
    if regs is None:
        return Backtrace([], [f"thread {thread.name or hex(thread.id)}: its saved context at "
                              f"0x{thread.sp:08x} is not in the dump"])
    return _unwind(dump, elf, regs, "saved", psp=None, thread=thread, top=thread.stack_hi)


def saved_context(dump: Dump, thread: Thread) -> Optional[Dict[int, Optional[int]]]:
    """r0-r15 (and s0-s31, as 100 + n, with fpscr as 132, where saved) of a
    switched-out thread, from the words its scheduler pushed at its saved SP
    in the documented layout (docs/dump-format.md, "Saved-context layouts")."""
    read = dump.read_u32
    sp = thread.sp
    layout = thread.context
    if layout == ContextLayout.R4_R11_LR:
        callee_at, exc_at, n_saved = sp, sp + 32, 9
    elif layout == ContextLayout.R4_R11:
        callee_at, exc_at, n_saved = sp, None, 8
    elif layout == ContextLayout.PSPLIM_LR_R4_R11:
        callee_at, exc_at, n_saved = sp + 8, sp + 4, 10
    else:
        return None
    callee = [read(callee_at + 4 * i) for i in range(8)]
    exc = read(exc_at) if exc_at is not None else 0xFFFFFFFD
    if exc is None or any(v is None for v in callee):
        return None
    regs: Dict[int, Optional[int]] = {4 + i: v for i, v in enumerate(callee)}
    at = sp + 4 * n_saved
    fp = exc & 0x10 == 0
    if fp:
        for i in range(16):
            regs[100 + 16 + i] = read(at + 4 * i)
        at += 64
    frame = [read(at + 4 * i) for i in range(8)]
    if any(v is None for v in frame):
        return None
    for reg, value in zip((0, 1, 2, 3, 12, LR, PC), frame):
        regs[reg] = value
    xpsr = frame[7] or 0
    regs[16] = xpsr
    size = 0x20
    if fp:
        for i in range(16):
            regs[100 + i] = read(at + 0x20 + 4 * i)
        regs[132] = read(at + 0x60)
        size = 0x68
    if xpsr & (1 << 9):
        size += 4
    regs[PC] = (regs[PC] or 0) & ~1
    regs[SP] = at + size
    regs[17] = exc
    return regs


def _unwind(dump: Dump, elf: Optional[Elf], r: Dict[int, Optional[int]], how0: str, *,
            psp: Optional[int], thread: Optional[Thread], top: Optional[int]) -> Backtrace:
    notes: List[str] = []
    read = _reader(dump)
    frames = [_describe(elf, 0, r.get(PC) or 0, r.get(SP) or 0, how0)]
    if elf is None:
        notes.append("no ELF: frame 0 only")
        return Backtrace(frames, notes)
    if not elf.fdes():
        notes.append("the ELF has no .debug_frame (built without -g?): backtrace is a "
                     "heuristic stack scan")
    if not elf.in_text(frames[0].pc):
        # No usable PC (a stack overflow that could not stack a frame): what
        # the stack holds is all there is.
        notes.append(f"the PC 0x{frames[0].pc:08x} is not code: the frames below come from a "
                     f"scan of the stack")
        start = frames[0].sp
        stack = dump.stack
        if stack is not None and stack.data and not stack.addr <= start < stack.end:
            start = stack.addr  # SP left its stack (an overflow): scan what was captured
        frames += _scan(elf, read, dump, start, 1, notes, top)
        return Backtrace(frames, notes)
    while len(frames) < MAX_FRAMES:
        last = frames[-1]
        if last.function in STOP_FUNCTIONS:
            break
        # LR is live in frame 0 and in the frame an exception interrupted.
        live_lr = len(frames) == 1 or last.how == "exception"
        step = _step_cfi(elf, r, read, first=live_lr, psp=psp)
        if step is None:
            if len(frames) == 1 and _lr_usable(r):
                # No CFI: at frame 0 the LR may still hold the return address.
                lr = r[LR] or 0
                frames.append(_describe(elf, 1, lr, r.get(SP) or 0, "lr"))
            frames += _scan(elf, read, dump, frames[-1].sp, len(frames), notes, top)
            break
        how, nr = step
        pc, sp = nr.get(PC), nr.get(SP)
        if how == "psp-unknown":
            notes.append("unwinding stopped: the interrupted context is on the process stack, "
                         "whose pointer the dump does not hold")
            break
        if pc is None or sp is None:
            where = f" (0x{sp:08x})" if sp is not None else ""
            notes.append(f"unwinding stopped at frame {len(frames)}: stack memory{where} not "
                         f"in the dump")
            break
        if how == "exception" and nr.get(-1):
            # Crossed from a handler into the thread it interrupted: its bounds apply.
            if thread is not None and thread.stack_lo <= sp <= thread.stack_hi:
                top = thread.stack_hi
        elif top is not None and sp >= top - ENTRY_SLACK and (
                sp >= top or pc is None or not looks_like_return(elf, pc | 1)):
            break  # `last` is the thread's entry function: nothing called it
        if not elf.in_text(pc & ~1):
            notes.append(f"unwinding stopped: return address 0x{pc:08x} is outside the code")
            break
        if how != "exception" and (sp < last.sp or (sp == last.sp and pc & ~1 == last.pc)):
            notes.append(f"unwinding stopped: no progress at 0x{pc:08x}")
            break
        frames.append(_describe(elf, len(frames), pc, sp, how))
        nr.pop(-1, None)
        r = nr
    if len(frames) >= MAX_FRAMES:
        notes.append(f"backtrace cut at {MAX_FRAMES} frames")
    return Backtrace(frames, notes)


def _lr_usable(r: Dict[int, Optional[int]]) -> bool:
    lr = r.get(LR)
    return lr is not None and lr & 1 == 1 and not is_exc_return(lr)


def _reader(dump: Dump) -> ReadU32:
    return dump.read_u32


Step = Tuple[str, Dict[int, Optional[int]]]


def _step_cfi(elf: Elf, r: Dict[int, Optional[int]], read: ReadU32,
              first: bool, psp: Optional[int]) -> Optional[Step]:
    """("cfi" or "exception", the caller's registers), or None if the CFI cannot say."""
    pc = r.get(PC)
    fde = elf.fde_at(pc & ~1) if pc is not None else None
    if pc is None or fde is None:
        return None
    row = fde.row_at(pc & ~1)
    if row is None or row.cfa_reg is None or r.get(row.cfa_reg) is None:
        return None
    cfa = (r[row.cfa_reg] or 0) + row.cfa_offset
    nr: Dict[int, Optional[int]] = dict(r)
    for reg, off in row.saved.items():
        nr[reg] = read(cfa + off)
    nr[SP] = cfa
    if fde.ra_reg in row.saved:
        ra = nr.get(fde.ra_reg)
    elif first:
        ra = r.get(LR)  # a leaf, or still in the prologue: LR is live
    else:
        return None
    if ra is None:
        return None
    if is_exc_return(ra):
        if ra & 0x4:  # the interrupted context ran on the process stack
            if psp is None:
                return "psp-unknown", nr
            step = _exception_frame(ra, psp, read, nr)
            if step is not None:
                step[1][-1] = 1  # marks the switch to the thread's stack
            return step if step is not None else ("exception", {**nr, PC: None, SP: psp})
        return _exception_frame(ra, cfa, read, nr)
    nr[PC] = ra & ~1
    return "cfi", nr


def _exception_frame(exc_return: int, sp: int, read: ReadU32,
                     r: Dict[int, Optional[int]]) -> Optional[Step]:
    """The context an exception interrupted: r0-r3, r12, lr, pc, xpsr at sp."""
    values = [read(sp + 4 * i) for i in range(8)]
    if any(v is None for v in values):
        return None
    r0, r1, r2, r3, r12, lr, pc, xpsr = values  # type: ignore[misc]
    size = 0x20 if exc_return & 0x10 else 0x68  # standard or extended (FP) frame
    if xpsr & (1 << 9):
        size += 4  # the frame was aligned to 8 bytes
    nr = dict(r)  # r4-r11 are not stacked: they still hold the interrupted values
    nr.update({0: r0, 1: r1, 2: r2, 3: r3, 12: r12, LR: lr, PC: pc & ~1, SP: sp + size})
    return "exception", nr


def _stack_block(dump: Dump, sp: int) -> Optional[MemBlock]:
    """The captured stack holding sp (the crash's, the interrupted thread's, or
    a thread's), else the crash's stack."""
    blocks = [b for b in (dump.stack, dump.interrupted) if b is not None and b.data]
    blocks += [t.stack for t in dump.threads if t.stack.data]
    for b in blocks:
        if b.addr <= sp < b.end:
            return b
    return dump.stack if dump.stack is not None and dump.stack.data else None


def _scan(elf: Elf, read: ReadU32, dump: Dump, sp: int, index: int,
          notes: List[str], top: Optional[int] = None) -> List[Frame]:
    """Return-address-looking words on the stack above sp."""
    stack = _stack_block(dump, sp)
    if stack is None:
        notes.append("no stack memory in the dump: no heuristic scan")
        return []
    frames: List[Frame] = []
    start = max(sp, stack.addr)
    start += (-start) % 4
    end = stack.end if top is None else min(stack.end, top)
    for addr in range(start, end - 3, 4):
        value = read(addr)
        if value is None or not value & 1 or not looks_like_return(elf, value):
            continue
        frame = _describe(elf, index + len(frames), value, addr + 4, "heuristic")
        frames.append(frame)
        if frame.function in STOP_FUNCTIONS or len(frames) + index >= MAX_FRAMES:
            break
    if frames:
        notes.append("frames marked ? come from a stack scan and may be stale values")
    return frames


def looks_like_return(elf: Elf, value: int) -> bool:
    """value (odd, Thumb) is in code right after a BL or BLX instruction."""
    addr = value & ~1
    if not elf.in_text(addr) or addr < 4:
        return False
    code = elf.read(addr - 4, 4)
    if code is None:
        return False
    hw1, hw2 = struct.unpack("<HH", code)
    if hw1 & 0xF800 == 0xF000 and hw2 & 0xD000 == 0xD000:  # BL (T1)
        return True
    return hw2 & 0xFF87 == 0x4780  # BLX Rm (16-bit, the halfword before addr)
