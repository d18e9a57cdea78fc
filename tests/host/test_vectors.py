# SPDX-License-Identifier: Apache-2.0
"""The vector table crashdump::startup builds, checked on every board's demo
ELF: the 16 core entries name crashdump's fault handlers, and external
interrupt n is whatever IRQ<n>_Handler resolved to: the weak default unless
someone (here the port's UART handler, and the library's watchdog alias)
defined it. That is the mechanism an application uses to add a handler."""
from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from boardlist import ci_boards  # tests/ is on sys.path: tests/host is a package

ROOT = Path(__file__).resolve().parents[2]


def boards() -> list[str]:
    return ci_boards()


@pytest.fixture(params=boards())
def elf(request) -> ELFFile:
    path = ROOT / "build" / request.param / "boards" / request.param / "crashdump-demo.elf"
    if not path.is_file():
        pytest.skip(f"{path} not built (scripts/test.sh builds it)")
    f = ELFFile(open(path, "rb"))
    yield f
    f.stream.close()


def symbols(f: ELFFile) -> dict:
    return {s.name: (s["st_value"], s["st_info"]["bind"])
            for s in f.get_section_by_name(".symtab").iter_symbols() if s.name}


def test_core_vectors_are_crashdumps_fault_handlers(elf: ELFFile) -> None:
    syms = symbols(elf)
    words = elf.get_section_by_name(".vectors").data()
    vec = [int.from_bytes(words[i:i + 4], "little") for i in range(0, len(words), 4)]
    for n, name in ((2, "NMI_Handler"), (3, "HardFault_Handler")):
        addr, bind = syms[name]
        assert bind == "STB_GLOBAL", f"{name} is the weak default, not crashdump's"
        assert vec[n] == addr | 1


def test_each_interrupt_vector_is_its_irq_handler_symbol(elf: ELFFile) -> None:
    syms = symbols(elf)
    words = elf.get_section_by_name(".vectors").data()
    vec = [int.from_bytes(words[i:i + 4], "little") for i in range(0, len(words), 4)]
    n_irq = len(vec) - 16
    assert n_irq >= 32
    default = syms["cm_default_handler"][0]
    strong = {}
    for n in range(n_irq):
        addr, bind = syms[f"IRQ{n}_Handler"]
        assert vec[16 + n] == addr | 1, f"IRQ {n}"
        if bind == "STB_GLOBAL":
            strong[n] = addr
        else:
            assert addr == default, f"IRQ{n}_Handler is weak but not the default"
    # The port defines its UART's handler; the library aliases the watchdog
    # stand-in to cd_watchdog_warning; everything else is free for the app.
    assert len(strong) == 2, strong
    assert syms["cd_watchdog_warning"][0] in strong.values()
