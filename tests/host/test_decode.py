# SPDX-License-Identifier: Apache-2.0
"""crashdump.decode: fault causes, triage naming, unwinding on a real ELF."""
from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path
from typing import Optional

import pytest

from crashdump.decode import fault
from crashdump.decode.elf import Elf, Symbol
from crashdump.decode.report import build_report, name_range
from crashdump.decode.unwind import unwind
from crashdump.dumpfile.build import build_dump
from crashdump.dumpfile.format import DUMP_F_BAD_SP, DUMP_F_NESTED, Arch, Reason
from crashdump.dumpfile.parse import FaultRegs, Fpu, MemBlock, Regs, parse_dump

ROOT = Path(__file__).resolve().parents[2]

CFSR_TEXT = {
    0: "instruction access violation", 1: "data access violation at 0x20000010",
    3: "unstacking", 4: "stacking on exception entry", 5: "lazy FP",
    8: "bus fault on instruction fetch", 9: "precise bus fault at 0x40000000",
    10: "imprecise bus fault (address unknown)", 11: "bus fault while unstacking",
    12: "bus fault while stacking", 13: "bus fault during lazy FP",
    16: "undefined instruction", 17: "invalid state (branch to a non-Thumb address?)",
    18: "invalid EXC_RETURN", 19: "coprocessor", 20: "stack overflow (stack limit)",
    24: "unaligned access", 25: "divide by zero",
}
VALID_BITS = (1 << 7) | (1 << 15)


def fault_dump(cfsr: int = 0, hfsr: int = 0, code: int = 3, arch: int = Arch.V7M,
               flags: int = 0, **kw: object) -> bytes:
    return build_dump(regs=Regs(r=(0,) * 13, sp=0x20000F00, lr=0x101, pc=0x200, xpsr=0),
                      fault=FaultRegs(cfsr=cfsr, hfsr=hfsr, mmfar=0x20000010, bfar=0x40000000),
                      code=code, arch=arch, flags=flags, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("bit", sorted(CFSR_TEXT))
def test_each_cfsr_bit_has_its_text(bit: int) -> None:
    lines = fault.cause_lines(parse_dump(fault_dump(cfsr=1 << bit | VALID_BITS)))
    assert any(CFSR_TEXT[bit] in line for line in lines), lines


def test_address_only_when_valid_bit_set() -> None:
    lines = fault.cause_lines(parse_dump(fault_dump(cfsr=1 << 9)))
    assert "CFSR.PRECISERR: precise bus fault (address not captured)" in lines
    lines = fault.cause_lines(parse_dump(fault_dump(cfsr=1 << 1)))
    assert "CFSR.DACCVIOL: data access violation" in lines


def test_hfsr_and_summary() -> None:
    d = parse_dump(fault_dump(cfsr=1 << 25, hfsr=1 << 30))
    assert fault.summary(d) == "HardFault: divide by zero"
    assert any(line.startswith("HFSR.FORCED: escalated") for line in fault.cause_lines(d))
    d = parse_dump(fault_dump(hfsr=1 << 1))
    assert "HFSR.VECTTBL: bus fault reading the vector table" in fault.cause_lines(d)
    assert fault.summary(parse_dump(fault_dump(cfsr=1 << 16, code=6))) == \
        "UsageFault: undefined instruction"


def test_v6m_has_no_status_registers() -> None:
    d = parse_dump(fault_dump(arch=Arch.V6M, params=(0, 0, 0, 0x1234)))
    lines = fault.cause_lines(d)
    assert any("ARMv6-M has no fault status registers" in x and "0x00001234" in x for x in lines)


def test_bugcheck_assert_and_watchdog() -> None:
    d = parse_dump(build_dump(reason=Reason.BUGCHECK, code=fault.BUGCHECK_ASSERT,
                              params=(123, 0x800, 0, 0)))
    assert fault.summary(d) == "assertion failed at line 123 (file name at 0x00000800)"
    strings = {0x800: "/src/FreeRTOS/queue.c"}.get
    assert fault.summary(d, strings) == "assertion failed at queue.c:123"
    assert fault.cause_lines(d, strings)[0] == "assertion failed at /src/FreeRTOS/queue.c:123"
    d = parse_dump(build_dump(reason=Reason.BUGCHECK, code=fault.BUGCHECK_STACK_OVERFLOW,
                              params=(0x20001000, 0x20001034, 0, 0)))
    assert fault.summary(d) == "stack overflow in thread 0x20001000"
    assert fault.summary(d, {0x20001034: "worker"}.get) == "stack overflow in thread 'worker'"
    d = parse_dump(build_dump(reason=Reason.BUGCHECK, code=fault.BUGCHECK_MALLOC_FAILED))
    assert "allocation failed" in fault.summary(d)
    d = parse_dump(build_dump(reason=Reason.BUGCHECK, code=0xBEEF, params=(1, 2, 3, 4)))
    assert fault.cause_lines(d)[0] == ("software bug check 0x0000beef (p1=0x00000001 "
                                       "p2=0x00000002 p3=0x00000003 p4=0x00000004)")
    d = parse_dump(build_dump(reason=Reason.WATCHDOG, code=0))
    assert "watchdog" in fault.summary(d)


def test_heuristics_stack_overflow_and_nested() -> None:
    d = parse_dump(fault_dump(cfsr=1 << 12, flags=DUMP_F_NESTED, stage=4))
    lines = fault.cause_lines(d)
    assert any("likely stack overflow" in x for x in lines)
    assert any("nested fault" in x and "stage 4" in x for x in lines)
    d = parse_dump(fault_dump(flags=DUMP_F_BAD_SP))
    assert any("likely stack overflow" in x for x in fault.cause_lines(d))


class FakeSymbols:
    def __init__(self) -> None:
        self.syms = [Symbol("demo", 0x20000100, 64, "object"), Symbol("f", 0x100, 8, "func")]

    def symbol_at(self, addr: int, kind: Optional[str] = None) -> Optional[Symbol]:
        return next((s for s in self.syms if s.contains(addr)
                     and (kind is None or kind == s.kind)), None)


def test_triage_ranges_named_by_symbol() -> None:
    syms = FakeSymbols()
    assert name_range(syms, 0x20000100, 64) == "demo (object, 0x20000100, 64 bytes)"
    assert name_range(syms, 0x20000110, 8) == "demo+0x10 (object, 0x20000110, 8 bytes)"
    assert "beyond the 64-byte symbol" in name_range(syms, 0x20000100, 100)
    assert name_range(syms, 0x30000000, 4) == "0x30000000 (4 bytes)"
    d = parse_dump(build_dump(triage=[MemBlock(0x20000100, bytes(64)),
                                      MemBlock(0x50000000, b"", status=-10, length=4)]))
    report = build_report(d, None, symbols=syms)
    assert [t.name for t in report.triage] == ["demo (object, 0x20000100, 64 bytes)",
                                               "0x50000000 (4 bytes)"]
    assert "not captured (TRIAGE_RANGE)" in report.text()
    assert report.to_json()["triage"][0]["name"].startswith("demo")


def test_report_without_elf_or_regs_still_works() -> None:
    report = build_report(parse_dump(build_dump()), None)
    assert report.backtrace == [] and any("no ELF" in w for w in report.warnings)
    assert report.to_json()["summary"].startswith("HardFault")


def test_fpu_registers_in_text_and_json() -> None:
    s = [0] * 32
    s[1], s[2], s[31] = 0x3F800000, 0xC0490FDB, 0x7FC00000  # 1.0, -pi, NaN
    report = build_report(parse_dump(fault_dump()), None)
    assert report.fpu is None and report.to_json()["fpu"] is None
    assert "fpu:" not in report.text()
    report = build_report(parse_dump(fault_dump(fpu=Fpu(s=tuple(s), fpscr=0x03000010))), None)
    doc = report.to_json()["fpu"]
    assert doc["fpscr"] == "0x03000010" and len(doc["s"]) == 32
    assert doc["s"][1] == "0x3f800000" and doc["s"][31] == "0x7fc00000"
    lines = report.text(sections=["registers"]).splitlines()
    fpu = lines.index("  fpu: fpscr 03000010")
    assert lines[fpu + 1].split() == ["s0", "00000000", "0", "s1", "3f800000", "1",
                                      "s2", "c0490fdb", "-3.14159", "s3", "00000000", "0"]
    assert lines[fpu + 8].split()[-2:] == ["7fc00000", "nan"]
    assert len(lines) == fpu + 9


# ---------------------------------------------------------------- real ELF


@pytest.fixture(scope="module")
def demo_elf(tmp_path_factory: pytest.TempPathFactory) -> Elf:
    """The an385 demo built with -g (the default build has no DWARF for our code)."""
    if shutil.which("arm-none-eabi-gcc") is None or shutil.which("cmake") is None:
        pytest.skip("no arm-none-eabi-gcc/cmake")
    build = tmp_path_factory.mktemp("an385-g")
    for cmd in (["cmake", "-S", str(ROOT), "-B", str(build), "-DBOARD=qemu-mps2-an385",
                 "-DCD_FAULT_CMDS=ON", "-DCMAKE_C_FLAGS=-g"], ["cmake", "--build", str(build), "-j2"]):
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"demo build failed: {r.stderr[-500:]}")
    return Elf(build / "boards" / "qemu-mps2-an385" / "crashdump-demo.elf")


def _call_site(elf: Elf, caller: str, callee: str) -> int:
    """The return address (odd) of caller's first BL to callee, found from the code."""
    c, target = elf.symbol(caller), elf.symbol(callee)
    assert c and target
    for pc in range(c.addr, c.addr + c.size - 2, 2):
        code = elf.read(pc, 4)
        assert code is not None
        hw1, hw2 = struct.unpack("<HH", code)
        if hw1 & 0xF800 == 0xF000 and hw2 & 0xD000 == 0xD000:
            s = hw1 >> 10 & 1
            imm = (s << 24 | (~(hw2 >> 13 ^ s) & 1) << 23 | (~(hw2 >> 11 ^ s) & 1) << 22 |
                   (hw1 & 0x3FF) << 12 | (hw2 & 0x7FF) << 1)
            imm -= (1 << 25) if s else 0
            if pc + 4 + imm == target.addr:
                return pc + 4 | 1
    raise AssertionError(f"{caller} does not call {callee}")


def test_cfi_unwind_through_a_real_function(demo_elf: Elf) -> None:
    """Leaf cd_port_memory_map <- cd_triage_add <- main, with a fabricated stack
    laid out as cd_triage_add's .debug_frame rule says (CFA = sp + 32, LR at CFA-4)."""
    elf = demo_elf
    ret_main = _call_site(elf, "main", "cd_triage_add")
    ret_triage = _call_site(elf, "cd_triage_add", "cd_port_memory_map")
    fde = elf.fde_at(ret_triage & ~1)
    row = fde.row_at(ret_triage & ~1) if fde else None
    assert row is not None and 14 in row.saved, "cd_triage_add has no CFI saving LR"
    sp = 0x20001000
    stack = bytearray(row.cfa_offset + 16)
    struct.pack_into("<I", stack, row.cfa_offset + row.saved[14], ret_main)
    leaf = elf.symbol("cd_port_memory_map")
    assert leaf is not None
    regs = Regs(r=(0,) * 13, sp=sp, lr=ret_triage, pc=leaf.addr + 2, xpsr=0x01000000,
                exc_return=0xFFFFFFFD, valid=7)
    dump = parse_dump(build_dump(regs=regs, stack=MemBlock(sp, bytes(stack)),
                                 fault=FaultRegs(cfsr=1 << 9 | 1 << 15, bfar=0x12345678),
                                 build_id=elf.build_id or b""))
    bt = unwind(dump, elf)
    assert [f.function for f in bt.frames] == ["cd_port_memory_map", "cd_triage_add", "main"]
    assert [f.how for f in bt.frames] == ["registers", "cfi", "cfi"]
    assert bt.frames[2].pc == ret_main & ~1
    assert all(f.line is not None for f in bt.frames)
    assert bt.frames[1].line and bt.frames[1].line.file.endswith("cd_core.c")
    report = build_report(dump, elf)
    assert not any("build-id" in w for w in report.warnings)
    assert report.summary == "HardFault: precise bus fault at 0x12345678 in cd_port_memory_map()"


def test_heuristic_scan_when_no_cfi(demo_elf: Elf) -> None:
    """PC outside any FDE: the stack scan finds the return address into main and
    labels it heuristic; junk even values and data are skipped."""
    elf = demo_elf
    ret_main = _call_site(elf, "main", "cd_triage_add")
    sp = 0x20002000
    words = [0x12345678, 0x20000001, ret_main & ~1, ret_main]
    stack = b"".join(struct.pack("<I", w) for w in words)
    regs = Regs(r=(0,) * 13, sp=sp, lr=0xFFFFFFF9, pc=0x00000002, xpsr=0)
    dump = parse_dump(build_dump(regs=regs, stack=MemBlock(sp, stack)))
    bt = unwind(dump, elf)
    assert [(f.function, f.how) for f in bt.frames[1:]] == [("main", "heuristic")]
    assert bt.frames[1].sp == sp + 16


def test_build_id_mismatch_warns(demo_elf: Elf) -> None:
    dump = parse_dump(build_dump(regs=Regs(r=(0,) * 13, sp=0, lr=0, pc=0, xpsr=0),
                                 build_id=b"\x01" * 20))
    report = build_report(dump, demo_elf)
    assert any(w.startswith("build-id mismatch: the dump is from build 0101") for w in
               report.warnings)


def test_no_line_info_from_discarded_functions(demo_elf: Elf) -> None:
    """The linker drops unused functions but not their line programs, which
    then start at address 0; PC 0 (a dump with no exception frame) or the
    vector table must not be given one of their lines."""
    assert demo_elf.line_at(0) is None and demo_elf.line_at(0x10) is None
    main = demo_elf.symbol("main")
    assert main is not None
    line = demo_elf.line_at(main.addr)
    assert line is not None and line.file.endswith("demo.c")


def test_pc_outside_code_does_not_blame_the_elf_for_line_info(demo_elf: Elf) -> None:
    """A stack overflow leaves PC 0 and LR garbage: no frame is in code, so the
    missing file:line is not the ELF's fault (it has line info)."""
    dump = parse_dump(build_dump(regs=Regs(r=(0,) * 13, sp=0x20000000, lr=0xFFFFFFFF, pc=0,
                                           xpsr=0x01000003), flags=DUMP_F_BAD_SP))
    report = build_report(dump, demo_elf)
    assert demo_elf.has_lines
    assert not any("no DWARF line info" in w for w in report.warnings), report.warnings
    # ... while a frame in code without a line still warns (an ELF built without -g
    # for that code): the PC in the vector table area is code without lines.
    vectors = parse_dump(build_dump(regs=Regs(r=(0,) * 13, sp=0x20000000, lr=0xFFFFFFFF,
                                              pc=0x10, xpsr=0x01000003)))
    if demo_elf.in_text(0x10):
        assert any("no DWARF line info" in w for w in build_report(vectors, demo_elf).warnings)


# ---------------------------------------------------------------- signatures


def test_cause_key_leaves_out_what_differs_between_dumps_of_one_crash() -> None:
    a = parse_dump(fault_dump(cfsr=1 << 9 | 1 << 15, code=5))
    assert fault.cause_key(a) == "BusFault PRECISERR"
    assert fault.cause_key(parse_dump(fault_dump(cfsr=1 << 25, hfsr=1 << 30))) == \
        "HardFault DIVBYZERO HFSR.FORCED"
    assert fault.cause_key(parse_dump(fault_dump(arch=Arch.V6M))) == "HardFault"
    d = parse_dump(build_dump(reason=Reason.BUGCHECK, code=fault.BUGCHECK_ASSERT,
                              params=(123, 0x800, 0, 0)))
    assert fault.cause_key(d, {0x800: "/src/app/queue.c"}.get) == "assert queue.c:123"
    assert fault.cause_key(d) == "assert ?:123"
    assert fault.cause_key(parse_dump(build_dump(reason=Reason.BUGCHECK, code=0x1234))) == \
        "bugcheck 0x00001234"
    assert fault.cause_key(parse_dump(build_dump(reason=Reason.WATCHDOG, code=20))) == "watchdog"


def test_signature_is_stable_for_one_crash_and_differs_for_another() -> None:
    def sig(**kw: object) -> str:
        regs = Regs(r=tuple(kw.pop("r", (0,) * 13)), sp=0x20000F00, lr=0x101,
                    pc=int(kw.pop("pc", 0x200)), xpsr=0)  # type: ignore[arg-type]
        dump = parse_dump(build_dump(regs=regs, fault=FaultRegs(
            cfsr=int(kw.pop("cfsr", 1 << 25)), bfar=int(kw.pop("bfar", 0))),  # type: ignore
            build_id=bytes(kw.pop("build_id", b"\1" * 20)), **kw))  # type: ignore
        report = build_report(dump, None)
        assert report.signature is not None
        assert report.to_json()["signature"]["hash"] == report.signature.hash
        return report.signature.text()

    base = sig()
    assert base.split()[0] == sig(r=(7,) * 13, crash_count=9).split()[0]  # values, counts
    assert base.split()[1:] == ["build", "01010101", "HardFault", "DIVBYZERO", "in",
                                "0x00000200"]
    for other in (sig(cfsr=1 << 24), sig(pc=0x300), sig(build_id=b"\2" * 20)):
        assert other.split()[0] != base.split()[0], other
