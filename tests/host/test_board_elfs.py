# SPDX-License-Identifier: Apache-2.0
"""Layout of the real boards' demo ELFs (scripts/boards.sh BUILD_ONLY_BOARDS).

These boards cannot run here, so what can go wrong in their linker scripts is
checked on the ELF: `.noinit` must lie in no loaded segment (a loader or
debugger would zero or overwrite the crash storage), the dump partition must
lie outside everything a flasher writes and match board.h (the firmware's
driver uses board.h, a probe uses the ELF symbols), and the build-id note must
be present. A missing ELF is built first with the project's CMake.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from boardlist import ci_boards  # tests/ is on sys.path: tests/host is a package

ROOT = Path(__file__).resolve().parents[2]


def build_only_boards() -> list[str]:
    return ci_boards("BUILD_ONLY_BOARDS")


@dataclass(frozen=True)
class BoardConsts:
    """The numeric BOARD_* constants of a board.h (simple expressions only)."""
    values: dict[str, int]

    @classmethod
    def parse(cls, path: Path) -> "BoardConsts":
        values: dict[str, int] = {}
        for name, expr in re.findall(r"^#define\s+(BOARD_\w+)\s+(.+?)\s*(?:/\*.*)?$",
                                     path.read_text(), re.M):
            expr = re.sub(r"(?<=[0-9A-Fa-f])u\b", "", expr)
            if re.fullmatch(r"[0-9A-Fa-fx()*+\- <]+", expr):
                values[name] = int(eval(expr, {"__builtins__": {}}))  # digits and operators only
        return cls(values)

    def __getitem__(self, name: str) -> int:
        return self.values[name]


@dataclass(frozen=True)
class Segment:
    vaddr: int
    paddr: int
    filesz: int
    memsz: int


def elf_path(board: str) -> Path:
    return ROOT / "build" / board / "boards" / board / "crashdump-demo.elf"


@pytest.fixture(scope="module", params=build_only_boards())
def board(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    elf = elf_path(name)
    if not elf.exists():
        if shutil.which("arm-none-eabi-gcc") is None:
            pytest.skip("arm-none-eabi-gcc not installed and the ELF was not built")
        build = ROOT / "build" / name
        subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), f"-DBOARD={name}",
                        "-DCD_FAULT_CMDS=ON"],
                       check=True, capture_output=True)
        subprocess.run(["cmake", "--build", str(build)], check=True, capture_output=True)
    return name


def load(board: str) -> tuple[ELFFile, list[Segment], dict[str, int]]:
    f = ELFFile(open(elf_path(board), "rb"))  # closed with the module's objects
    segs = [Segment(s["p_vaddr"], s["p_paddr"], s["p_filesz"], s["p_memsz"])
            for s in f.iter_segments() if s["p_type"] == "PT_LOAD"]
    symtab = f.get_section_by_name(".symtab")
    syms = {s.name: s["st_value"] for s in symtab.iter_symbols() if s.name}
    return f, segs, syms


def overlaps(a0: int, a1: int, b0: int, b1: int) -> bool:
    return a0 < b1 and b0 < a1


def test_noinit_is_in_no_loaded_segment(board: str) -> None:
    f, segs, _ = load(board)
    noinit = f.get_section_by_name(".noinit")
    assert noinit is not None, "no .noinit section"
    assert noinit["sh_type"] == "SHT_NOBITS"
    start, end = noinit["sh_addr"], noinit["sh_addr"] + noinit["sh_size"]
    assert end > start, ".noinit is empty: the crashdump storage went elsewhere"
    for seg in f.iter_segments():
        assert not seg.section_in_segment(noinit), f".noinit is inside a {seg['p_type']} segment"
    for s in segs:
        assert not overlaps(start, end, s.vaddr, s.vaddr + s.memsz), f".noinit overlaps {s}"
        assert not overlaps(start, end, s.paddr, s.paddr + s.memsz), f".noinit overlaps {s}"


def test_dump_partition_matches_board_h_and_is_outside_the_image(board: str) -> None:
    _, segs, syms = load(board)
    consts = BoardConsts.parse(ROOT / "boards" / board / "board.h")
    start, end = syms["__cd_dump_start"], syms["__cd_dump_end"]
    assert start == consts["BOARD_DUMP_BASE"]
    assert end - start == consts["BOARD_DUMP_SIZE"]
    erase = consts["BOARD_DUMP_ERASE_SIZE"]
    assert start % erase == 0 and (end - start) % erase == 0
    flash0 = consts["BOARD_FLASH_BASE"]
    assert flash0 <= start and end <= flash0 + consts["BOARD_FLASH_SIZE"]
    for s in segs:
        # What a flasher writes (file data at the load address) and where it runs.
        assert not overlaps(start, end, s.paddr, s.paddr + s.filesz), f"partition overlaps {s}"
        assert not overlaps(start, end, s.vaddr, s.vaddr + s.memsz), f"partition overlaps {s}"


def test_vectors_point_into_the_board_memory(board: str) -> None:
    f, _, syms = load(board)
    consts = BoardConsts.parse(ROOT / "boards" / board / "board.h")
    vectors = f.get_section_by_name(".vectors")
    assert vectors["sh_addr"] == consts["BOARD_FLASH_BASE"], "the boot ROM reads vectors at flash base"
    words = vectors.data()
    sp, reset = int.from_bytes(words[0:4], "little"), int.from_bytes(words[4:8], "little")
    ram0 = consts["BOARD_RAM_BASE"]
    assert ram0 < sp <= ram0 + consts["BOARD_RAM_SIZE"] and sp % 8 == 0
    assert reset & 1, "reset vector must be a Thumb address"
    assert reset & ~1 == syms["Reset_Handler"] & ~1
    assert f.get_section_by_name(".note.gnu.build-id") is not None
