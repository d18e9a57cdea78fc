# SPDX-License-Identifier: Apache-2.0
"""cd_bugcheck() masks interrupts before it does anything else but save the
caller's registers: checked on every board's demo ELF, in the machine code,
that `cpsid i` comes before the stack switch (`msr control`) and within the
first few instructions."""
from __future__ import annotations

from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from .test_vectors import boards  # every board in scripts/boards.sh

ROOT = Path(__file__).resolve().parents[2]
CPSID_I = bytes.fromhex("72b6")          # 0xB672, little-endian halfword
MSR_CONTROL = bytes.fromhex("80f31488")  # msr control, r0 (0xF380 0x8814)


@pytest.mark.parametrize("board", boards())
def test_bugcheck_masks_interrupts_first(board: str) -> None:
    path = ROOT / "build" / board / "boards" / board / "crashdump-demo.elf"
    if not path.is_file():
        pytest.skip(f"{path} not built (scripts/test.sh builds it)")
    with open(path, "rb") as f:
        elf = ELFFile(f)
        sym = next(s for s in elf.get_section_by_name(".symtab").iter_symbols()
                   if s.name == "cd_bugcheck")
        addr, size = sym["st_value"] & ~1, sym["st_size"]
        text = next(s for s in elf.iter_sections()
                    if s["sh_addr"] <= addr < s["sh_addr"] + s["sh_size"] and s["sh_size"])
        code = text.data()[addr - text["sh_addr"]:addr - text["sh_addr"] + size]
    cpsid = next(i for i in range(0, len(code) - 1, 2) if code[i:i + 2] == CPSID_I)
    msr = next(i for i in range(0, len(code) - 3, 2) if code[i:i + 4] == MSR_CONTROL)
    assert cpsid < msr, (cpsid, msr)
    assert cpsid <= 16, f"cpsid i at +{cpsid}: too late"
