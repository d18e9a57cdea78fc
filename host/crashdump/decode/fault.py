# SPDX-License-Identifier: Apache-2.0
"""Why the device crashed, in words: Cortex-M fault status registers (CFSR,
HFSR, DFSR, and SFSR on ARMv8-M with the Security Extension), software bug
checks and watchdog warnings.

Bit names follow the ARMv7-M/ARMv8-M Architecture Reference Manuals. ARMv6-M
and ARMv8-M baseline have no fault status registers: there the cause comes
from the exception number and the faulting PC alone, and the text says so.
"""
from __future__ import annotations

from typing import Callable, List, Optional, Tuple

from ..dumpfile.format import (DUMP_F_BAD_SP, DUMP_F_NESTED, DUMP_F_TRUNCATED, REGS_V_SPLIM, Arch,
                               Reason)
from ..dumpfile.parse import Dump

BUGCHECK_ASSERT = 0xA55E0000  # CD_BUGCHECK_ASSERT (crashdump.h)
BUGCHECK_STACK_OVERFLOW = 0x57AC0F00  # CD_BUGCHECK_STACK_OVERFLOW
BUGCHECK_MALLOC_FAILED = 0xA110CF00   # CD_BUGCHECK_MALLOC_FAILED

# Reads a NUL-terminated string at an address (the ELF's constants, the dump's
# memory), None if it is not there.
StringAt = Callable[[int], Optional[str]]

EXCEPTIONS = {2: "NMI", 3: "HardFault", 4: "MemManage", 5: "BusFault", 6: "UsageFault",
              7: "SecureFault", 11: "SVCall", 12: "DebugMonitor", 14: "PendSV", 15: "SysTick"}

# CFSR bits: (bit, name, text). {addr} is filled in where the matching *ARVALID is set.
MMFSR_BITS: Tuple[Tuple[int, str, str], ...] = (
    (0, "IACCVIOL", "instruction access violation (MPU or execute-never region)"),
    (1, "DACCVIOL", "data access violation{addr}"),
    (3, "MUNSTKERR", "MemManage fault while unstacking on exception return"),
    (4, "MSTKERR", "MemManage fault while stacking on exception entry"),
    (5, "MLSPERR", "MemManage fault during lazy FP state preservation"),
)
MMARVALID = 1 << 7
MSTKERR = 1 << 4
BFSR_BITS: Tuple[Tuple[int, str, str], ...] = (
    (8, "IBUSERR", "bus fault on instruction fetch"),
    (9, "PRECISERR", "precise bus fault{addr}"),
    (10, "IMPRECISERR", "imprecise bus fault (address unknown)"),
    (11, "UNSTKERR", "bus fault while unstacking on exception return"),
    (12, "STKERR", "bus fault while stacking on exception entry"),
    (13, "LSPERR", "bus fault during lazy FP state preservation"),
)
BFARVALID = 1 << 15
UFSR_BITS: Tuple[Tuple[int, str, str], ...] = (
    (16, "UNDEFINSTR", "undefined instruction"),
    (17, "INVSTATE", "invalid state (branch to a non-Thumb address?)"),
    (18, "INVPC", "invalid EXC_RETURN"),
    (19, "NOCP", "coprocessor access while disabled (FPU not enabled?)"),
    (20, "STKOF", "stack overflow (stack limit): the stack grew past its limit "
                  "register (MSPLIM/PSPLIM)"),
    (24, "UNALIGNED", "unaligned access"),
    (25, "DIVBYZERO", "divide by zero"),
)
CFSR_BITS = MMFSR_BITS + BFSR_BITS + UFSR_BITS
HFSR_BITS: Tuple[Tuple[int, str, str], ...] = (
    (1, "VECTTBL", "bus fault reading the vector table"),
    (30, "FORCED", "escalated to HardFault (a configurable fault was disabled or "
                   "could not run)"),
    (31, "DEBUGEVT", "debug event while halting debug is disabled"),
)
# SecureFault status (ARMv8-M Security Extension). SFARVALID (bit 6) qualifies SFAR.
SFSR_BITS: Tuple[Tuple[int, str, str], ...] = (
    (0, "INVEP", "invalid Secure entry point (Non-secure code branched into Secure "
                 "memory without an SG instruction in NSC memory)"),
    (1, "INVIS", "invalid integrity signature in an exception stack frame"),
    (2, "INVER", "invalid exception return (EXC_RETURN does not match the security "
                 "state)"),
    (3, "AUVIOL", "attribution unit violation: Non-secure access to Secure memory{addr}"),
    (4, "INVTRAN", "invalid transition from Secure to Non-secure memory (branch not "
                   "flagged as domain crossing)"),
    (5, "LSPERR", "SAU/IDAU violation during lazy FP state preservation"),
    (7, "LSERR", "error during lazy FP state activation or deactivation"),
)
SFARVALID = 1 << 6
DFSR_BITS: Tuple[Tuple[int, str, str], ...] = (
    (0, "HALTED", "halt request"), (1, "BKPT", "breakpoint (BKPT instruction)"),
    (2, "DWTTRAP", "watchpoint (DWT)"), (3, "VCATCH", "vector catch"),
    (4, "EXTERNAL", "external debug request"),
)


def _bits(value: int, table: Tuple[Tuple[int, str, str], ...],
          addr: str = "") -> List[Tuple[str, str]]:
    return [(name, text.format(addr=addr)) for bit, name, text in table if value >> bit & 1]


def cfsr_causes(cfsr: int, mmfar: Optional[int] = None,
                bfar: Optional[int] = None) -> List[Tuple[str, str]]:
    """(bit name, text) for each set CFSR status bit."""
    out: List[Tuple[str, str]] = []
    mm_addr = f" at 0x{mmfar:08x}" if cfsr & MMARVALID and mmfar is not None else ""
    bf_addr = f" at 0x{bfar:08x}" if cfsr & BFARVALID and bfar is not None else \
        " (address not captured)"
    out += _bits(cfsr, MMFSR_BITS, mm_addr)
    out += _bits(cfsr, BFSR_BITS, bf_addr)
    out += _bits(cfsr, UFSR_BITS)
    return out


def sfsr_causes(sfsr: int, sfar: Optional[int] = None) -> List[Tuple[str, str]]:
    """(bit name, text) for each set SFSR status bit."""
    addr = f" at 0x{sfar:08x}" if sfsr & SFARVALID and sfar is not None else ""
    return _bits(sfsr, SFSR_BITS, addr)


def hfsr_causes(hfsr: int) -> List[Tuple[str, str]]:
    return _bits(hfsr, HFSR_BITS)


def dfsr_causes(dfsr: int) -> List[Tuple[str, str]]:
    return _bits(dfsr, DFSR_BITS)


def exception_name(number: int) -> str:
    if number >= 16:
        return f"IRQ {number - 16}"
    return EXCEPTIONS.get(number, f"exception {number}")


def has_status_registers(arch: int) -> bool:
    return arch not in (Arch.V6M, Arch.V8MBASE)


def _basename(path: str) -> str:
    return path.replace("\\", "/").rsplit("/", 1)[-1]


def bugcheck_text(dump: Dump, string_at: Optional[StringAt] = None, short: bool = True) -> str:
    """What a bug check says, with the strings its parameters point to where
    the ELF or the dump holds them."""
    h = dump.header
    p = h.params
    string_at = string_at or (lambda addr: None)
    if h.code == BUGCHECK_ASSERT:
        file = string_at(p[1])
        if file is None:
            return f"assertion failed at line {p[0]} (file name at 0x{p[1]:08x})"
        return f"assertion failed at {_basename(file) if short else file}:{p[0]}"
    if h.code == BUGCHECK_STACK_OVERFLOW:
        thread = next((t for t in dump.threads if t.id == p[0]), None)
        name = thread.name if thread is not None and thread.name else string_at(p[1])
        return f"stack overflow in thread {name!r}" if name else \
            f"stack overflow in thread 0x{p[0]:08x}"
    if h.code == BUGCHECK_MALLOC_FAILED:
        return "memory allocation failed (the RTOS's malloc-failed hook)"
    return f"software bug check 0x{h.code:08x}"


def summary(dump: Dump, string_at: Optional[StringAt] = None) -> str:
    """One line: what happened."""
    h = dump.header
    if h.reason == Reason.BUGCHECK:
        return bugcheck_text(dump, string_at)
    if h.reason == Reason.WATCHDOG:
        return "watchdog early warning: the firmware stopped feeding the watchdog"
    if h.reason == Reason.FAULT:
        causes = fault_causes(dump)
        first = causes[0] if causes else None
        guard = stack_guard_hit(dump)
        if guard is not None:
            first = f"stack overflow (hit the stack guard at 0x{guard:08x})"
        return f"{exception_name(h.code)}" + (f": {first}" if first else "")
    return f"unknown crash reason {h.reason} (code 0x{h.code:08x})"


def cause_key(dump: Dump, string_at: Optional[StringAt] = None) -> str:
    """The cause without addresses or values that differ between two dumps of
    the same crash: "BusFault PRECISERR", "assert queue.c:123", "watchdog"."""
    h = dump.header
    if h.reason == Reason.BUGCHECK:
        if h.code == BUGCHECK_ASSERT:
            file = (string_at or (lambda addr: None))(h.params[1])
            return f"assert {_basename(file) if file else '?'}:{h.params[0]}"
        if h.code == BUGCHECK_STACK_OVERFLOW:
            return bugcheck_text(dump, string_at)
        if h.code == BUGCHECK_MALLOC_FAILED:
            return "malloc failed"
        return f"bugcheck 0x{h.code:08x}"
    if h.reason == Reason.WATCHDOG:
        return "watchdog"
    if h.reason != Reason.FAULT:
        return f"reason {h.reason} 0x{h.code:08x}"
    f = dump.fault
    bits: List[str] = []
    if f is not None and has_status_registers(h.arch):
        bits = [n for n, _ in cfsr_causes(f.cfsr)] + [f"SFSR.{n}" for n, _ in sfsr_causes(f.sfsr)]
        bits += [f"HFSR.{n}" for n, _ in hfsr_causes(f.hfsr) if h.code == 3 or not bits]
    return " ".join([exception_name(h.code)] + bits)


# The ARMv7-M guard: a 64- or 128-byte block within the lowest 16 + 2 x 128 bytes of a stack.
GUARD_SPAN = 16 + 2 * 128


def stack_guard_hit(dump: Dump) -> Optional[int]:
    """The address at which a MemManage fault hit the running thread's
    stack guard (the MPU block crashdump keeps at the bottom of its stack on
    ARMv7-M): an access there, or stacking with SP there. None otherwise."""
    t, f, regs = dump.current_thread, dump.fault, dump.regs
    if t is None or f is None or dump.header.reason != Reason.FAULT:
        return None
    for hit in ((f.mmfar if f.cfsr & MMARVALID else None),
                (regs.psp if regs is not None and f.cfsr & MSTKERR else None)):
        if hit is not None and t.stack_lo - 128 <= hit < t.stack_lo + GUARD_SPAN:
            return hit
    return None


def fault_causes(dump: Dump) -> List[str]:
    """The status-register causes alone, most specific first."""
    h = dump.header
    if h.reason != Reason.FAULT:
        return []
    f = dump.fault
    if f is None:
        cfsr, hfsr, dfsr, mmfar, bfar = h.params[0], h.params[1], 0, h.params[2], h.params[2]
        sfsr, sfar = 0, 0
    else:
        cfsr, hfsr, dfsr, mmfar, bfar = f.cfsr, f.hfsr, f.dfsr, f.mmfar, f.bfar
        sfsr, sfar = f.sfsr, f.sfar
    if not has_status_registers(h.arch):
        return []
    texts = [t for _, t in cfsr_causes(cfsr, mmfar, bfar)]
    # A SecureFault's own status first when it is the exception being handled.
    secure = [t for _, t in sfsr_causes(sfsr, sfar)]
    texts = secure + texts if h.code == 7 else texts + secure
    texts += [t for _, t in hfsr_causes(hfsr) if h.code == 3 or not texts]
    if h.code == 12 or (not texts and dfsr):
        texts += [t for _, t in dfsr_causes(dfsr)]
    return texts


def cause_lines(dump: Dump, string_at: Optional[StringAt] = None) -> List[str]:
    """Every line explaining the crash: the reason, status bits, heuristics."""
    h = dump.header
    lines: List[str] = []
    if h.reason == Reason.BUGCHECK:
        p = h.params
        if h.code in (BUGCHECK_ASSERT, BUGCHECK_STACK_OVERFLOW, BUGCHECK_MALLOC_FAILED):
            lines.append(bugcheck_text(dump, string_at, short=False))
        else:
            lines.append(f"software bug check 0x{h.code:08x} (p1=0x{p[0]:08x} p2=0x{p[1]:08x} "
                         f"p3=0x{p[2]:08x} p4=0x{p[3]:08x})")
    elif h.reason == Reason.WATCHDOG:
        lines.append("watchdog early warning: the interrupted code below was running when the "
                     "watchdog was about to expire (stuck loop or starved task?)")
    elif h.reason == Reason.FAULT:
        lines.append(f"{exception_name(h.code)} (exception {h.code})")
        if has_status_registers(h.arch):
            f = dump.fault
            if f is not None:
                for regname, value, table in (("CFSR", f.cfsr, None), ("HFSR", f.hfsr, HFSR_BITS),
                                              ("DFSR", f.dfsr, DFSR_BITS)):
                    found = cfsr_causes(value, f.mmfar, f.bfar) if table is None else \
                        _bits(value, table)
                    for name, text in found:
                        lines.append(f"{regname}.{name}: {text}")
                for name, text in sfsr_causes(f.sfsr, f.sfar):
                    lines.append(f"SFSR.{name}: {text}")
                if not (f.cfsr or f.hfsr or f.sfsr):
                    lines.append("no fault status bit is set")
            else:
                lines.extend(f"{t} (from the header)" for t in fault_causes(dump))
        else:
            lines.append(f"{_arch_name(h.arch)} has no fault status registers: the cause must "
                         f"be read from the faulting instruction at PC 0x{h.params[3]:08x} and "
                         f"its context")
    else:
        lines.append(f"unknown crash reason {h.reason} (code 0x{h.code:08x})")
    lines += heuristics(dump)
    return lines


STKOF = 1 << 20


def _stack_limit(dump: Dump) -> Optional[Tuple[str, int]]:
    """The stack-limit register the faulting stack was checked against:
    ("MSPLIM", value) or ("PSPLIM", value), or None if not captured."""
    r = dump.regs
    if r is None or not r.valid & REGS_V_SPLIM:
        return None
    on_psp = r.exc_return != 0 and r.exc_return & (1 << 2)
    return ("PSPLIM", r.psplim) if on_psp else ("MSPLIM", r.msplim)


def _arch_name(arch: int) -> str:
    return {Arch.V6M: "ARMv6-M", Arch.V8MBASE: "ARMv8-M baseline"}.get(arch,  # type: ignore
                                                                        f"arch {arch}")


def heuristics(dump: Dump) -> List[str]:
    """Educated guesses from the registers and flags."""
    h, out = dump.header, []
    cfsr = dump.fault.cfsr if dump.fault else (h.params[0] if h.reason == Reason.FAULT else 0)
    stack = dump.stack
    sp = dump.regs.sp if dump.regs else None
    stacking = h.reason == Reason.FAULT and cfsr & ((1 << 4) | (1 << 12) | (1 << 20))
    limit = _stack_limit(dump) if h.reason == Reason.FAULT and cfsr & STKOF else None
    if limit is not None:
        name, value = limit
        out.append(f"stack-limit overflow: SP reached {name} 0x{value:08x}; the stack "
                   f"region is too small or a recursion ran away"
                   + ("" if not h.flags & DUMP_F_BAD_SP else
                      " (the exception frame was not stacked: r0-r3, r12, lr and pc "
                      "are lost)"))
    elif h.flags & DUMP_F_BAD_SP or stacking:
        out.append("SP near the bottom of the stack region or outside RAM: likely stack "
                   "overflow" + (f" (SP = 0x{sp:08x})" if sp is not None else ""))
    elif h.reason == Reason.FAULT and cfsr & (1 << 17) and dump.regs and not dump.regs.pc & 1 \
            and dump.regs.lr & 1 == 0:
        out.append("LR is even too: a function pointer or return address was corrupted")
    if h.flags & DUMP_F_NESTED:
        out.append(f"nested fault: a second fault hit inside the fault path at stage {h.stage}; "
                   f"the dump may be incomplete")
    if h.flags & DUMP_F_TRUNCATED:
        out.append("the dump was truncated: the slot was too small for every section")
    if stack is not None and sp is not None and stack.data and not stack.addr <= sp <= stack.end:
        out.append(f"SP 0x{sp:08x} is outside the captured stack "
                   f"0x{stack.addr:08x}..0x{stack.end:08x}")
    return out
