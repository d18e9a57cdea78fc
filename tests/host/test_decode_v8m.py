# SPDX-License-Identifier: Apache-2.0
"""ARMv8-M Mainline decoding: stack-limit overflows (CFSR.STKOF against
MSPLIM/PSPLIM) and SecureFault status (SFSR/SFAR), on dumps built from parts."""
from __future__ import annotations

import pytest

from crashdump.decode import fault
from crashdump.dumpfile.build import build_dump
from crashdump.dumpfile.format import DUMP_F_BAD_SP, REGS_V_SPECIAL, REGS_V_SPLIM, Arch
from crashdump.dumpfile.parse import FaultRegs, Regs, parse_dump

STKOF = 1 << 20
LIMIT_M, LIMIT_P = 0x38000000, 0x38010000


def v8m_dump(*, cfsr: int = 0, sfsr: int = 0, sfar: int = 0, code: int = 6,
             exc_return: int = 0xFFFFFFF9, valid: int = REGS_V_SPECIAL | REGS_V_SPLIM,
             flags: int = 0) -> bytes:
    regs = Regs(r=(0,) * 13, sp=LIMIT_M, lr=0, pc=0, xpsr=0, msp=LIMIT_M, exc_return=exc_return,
                msplim=LIMIT_M, psplim=LIMIT_P, valid=valid)
    return build_dump(regs=regs, fault=FaultRegs(cfsr=cfsr, sfsr=sfsr, sfar=sfar), code=code,
                      arch=Arch.V8MMAIN, cpuid=0x410FD210, flags=flags)


def test_stkof_names_the_main_stack_limit() -> None:
    d = parse_dump(v8m_dump(cfsr=STKOF, flags=DUMP_F_BAD_SP))
    lines = fault.cause_lines(d)
    assert any(line.startswith("CFSR.STKOF: stack overflow (stack limit)") for line in lines)
    limit = [line for line in lines if line.startswith("stack-limit overflow")]
    assert limit and f"MSPLIM 0x{LIMIT_M:08x}" in limit[0], lines
    assert "not stacked" in limit[0]
    assert fault.summary(d).startswith("UsageFault: stack overflow (stack limit)")


def test_stkof_on_the_process_stack_names_psplim() -> None:
    lines = fault.cause_lines(parse_dump(v8m_dump(cfsr=STKOF, exc_return=0xFFFFFFFD)))
    limit = [line for line in lines if line.startswith("stack-limit overflow")]
    assert limit and f"PSPLIM 0x{LIMIT_P:08x}" in limit[0] and "not stacked" not in limit[0]


def test_stkof_without_captured_limits_falls_back_to_the_sp_heuristic() -> None:
    lines = fault.cause_lines(parse_dump(v8m_dump(cfsr=STKOF, valid=REGS_V_SPECIAL)))
    assert not [line for line in lines if line.startswith("stack-limit overflow")]
    assert any("likely stack overflow" in line for line in lines)


@pytest.mark.parametrize("bit,name,text", [
    (0, "INVEP", "invalid Secure entry point"), (1, "INVIS", "integrity signature"),
    (2, "INVER", "invalid exception return"), (3, "AUVIOL", "attribution unit violation"),
    (4, "INVTRAN", "invalid transition"), (5, "LSPERR", "lazy FP state preservation"),
    (7, "LSERR", "lazy FP state activation"),
])
def test_each_sfsr_bit_has_its_text(bit: int, name: str, text: str) -> None:
    d = parse_dump(v8m_dump(sfsr=1 << bit, code=7))
    lines = fault.cause_lines(d)
    assert any(line.startswith(f"SFSR.{name}: ") and text in line for line in lines), lines
    assert text in fault.summary(d)


def test_sfar_only_when_sfarvalid() -> None:
    with_addr = fault.cause_lines(parse_dump(v8m_dump(sfsr=1 << 3 | 1 << 6, sfar=0x10001234,
                                                      code=7)))
    assert any("AUVIOL" in line and "at 0x10001234" in line for line in with_addr)
    without = fault.cause_lines(parse_dump(v8m_dump(sfsr=1 << 3, sfar=0x10001234, code=7)))
    assert not any("0x10001234" in line for line in without)


def test_securefault_status_follows_cfsr_for_other_exceptions() -> None:
    causes = fault.fault_causes(parse_dump(v8m_dump(cfsr=1 << 16, sfsr=1, code=6)))
    assert causes[0] == "undefined instruction" and "Secure entry point" in causes[1]


def test_fault_section_round_trips_sfsr_and_sfar() -> None:
    d = parse_dump(v8m_dump(sfsr=0x41, sfar=0xDEADBEEF, code=7))
    assert d.fault is not None and (d.fault.sfsr, d.fault.sfar) == (0x41, 0xDEADBEEF)
