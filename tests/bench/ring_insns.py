# SPDX-License-Identifier: Apache-2.0
"""Instructions executed by crashdump's ring write on Cortex-M0 and Cortex-M4.

Cross-compiles firmware/src/cd_ring.c, cd_crc.c and cd_core.c with a small
harness (port stubs, a storage block, one data source) for cortex-m4 and
cortex-m0 at -Os and -O2, runs it in the unicorn emulator (Thumb, M-class) and
counts the instructions of single calls with a code hook (unicorn's memory
hooks break Thumb IT blocks on M-class; code hooks are fine). "asm" rows are
the build as shipped (the hand-scheduled Thumb write path), "C" rows the same
build with -DCD_RING_WRITE_C=1 (the portable C write path, for comparison).

Calls run in steady state: the ring (32-byte items, 16 slots) has been filled
and wrapped, so each write overwrites the oldest item. "typ/max" are the
median and the largest count over one lap of the ring (the lap includes the
slot index wrap). seq is NULL. Every write is checked against a model of the
ring (slot bytes, cursors, seq), for every length 1..32 at each source
alignment and for the error codes, so a wrong fast path fails loudly.

Library sizes are tests/bench/sizes.py's job.

Run: .venv/bin/python tests/bench/ring_insns.py   (needs arm-none-eabi-gcc)
The figures themselves pass or fail nothing.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from unicorn import UC_ARCH_ARM, UC_HOOK_CODE, UC_MODE_MCLASS, UC_MODE_THUMB, Uc
from unicorn.arm_const import UC_ARM_REG_LR, UC_ARM_REG_R0, UC_ARM_REG_SP

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "firmware" / "src"
INCLUDES = [ROOT / "firmware" / "include", SRC, ROOT / "firmware" / "arch" / "cortex-m"]
LINKED = ["cd_ring.c", "cd_crc.c", "cd_core.c"]
CPUS = ["cortex-m4", "cortex-m0"]
OPTS = ["-Os", "-O2"]
ITEM, COUNT = 32, 16
CODE_BASE, RAM_BASE, RAM_SIZE = 0x00000000, 0x20000000, 0x40000
STOP = 0x000F0000  # return address of every call; never executed

HARNESS = f"""
#include "crashdump/crashdump.h"
#include "crashdump/cd_port.h"
static const cd_mem_region_t map[] = {{{{0x20000000u, 0x40000u, CD_MEM_READ | CD_MEM_WRITE}}}};
const cd_mem_region_t *cd_port_memory_map(size_t *n) {{ *n = 1; return map; }}
const uint8_t *cd_port_build_id(size_t *len) {{ *len = 0; return 0; }}
void cd_port_tx(const uint8_t *b, size_t n) {{ (void)b; (void)n; }}
void cd_port_reset(void) {{ for (;;) {{ }} }}
/* cd_init() also sets up crash dumps; this bench measures rings only. */
int cd_dump_config_check(const cd_config_t *cfg) {{ (void)cfg; return 0; }}
void cd_dump_boot(const cd_config_t *cfg) {{ (void)cfg; }}
void cd_arch_fault_init(void) {{ }}
static uint8_t storage[CD_STORAGE_SIZE({ITEM}, {COUNT}, 1, CD_RING_STRIDE({ITEM}) * {COUNT}, 0)] CD_NOINIT;
uint32_t bench_src[16];  /* aligned at +0, unaligned at +1..3 */
uint32_t bench_seq;
cd_ring_t *bench_ring, *bench_self;
int bench_setup(void)
{{
    static const cd_guid_t self = {{{{1}}}}, src = {{{{2}}}};
    cd_config_t cfg = {{.component_name = "bench", .self_guid = self, .self_item_size = {ITEM},
                        .self_item_count = {COUNT}, .source_count = 1,
                        .source_max_bytes = CD_RING_STRIDE({ITEM}) * {COUNT},
                        .storage = storage, .storage_size = sizeof storage}};
    for (unsigned i = 0; i < sizeof bench_src; i++) ((uint8_t *)bench_src)[i] = (uint8_t)(i * 7u + 3u);
    int rc = cd_init(&cfg);
    bench_self = cd_self_ring();
    bench_seq = 0;
    return rc != 0 ? rc : cd_source_create(&src, "bench", {ITEM}, {COUNT}, &bench_ring, 0);
}}
"""

LDSCRIPT = f"""
ENTRY(bench_setup)
SECTIONS {{
  . = {CODE_BASE:#x};
  .text : {{ *(.text*) *(.rodata*) *(.data*) }}
  . = {RAM_BASE:#x};
  .bss (NOLOAD) : {{ *(.bss*) *(COMMON) *(.noinit*) }}
}}
"""


def run(cmd: list[str]) -> str:
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))}\n{res.stderr}")
    return res.stdout


def cflags(cpu: str, opt: str) -> list[str]:
    return [f"-mcpu={cpu}", "-mthumb", opt, "-std=c11", "-Wall", "-Wextra",
            "-ffunction-sections", "-fdata-sections", *[f"-I{i}" for i in INCLUDES]]


def u32(b: bytes, off: int = 0) -> int:
    return int.from_bytes(b[off:off + 4], "little")


class Target:
    """One build of the harness, loaded into a fresh emulator."""

    def __init__(self, work: Path, cpu: str, opt: str, impl: str) -> None:
        tag = f"{cpu}{opt}{impl}"
        (work / "harness.c").write_text(HARNESS)
        (work / "link.ld").write_text(LDSCRIPT)
        elf, binf = work / f"{tag}.elf", work / f"{tag}.bin"
        extra = ["-DCD_RING_WRITE_C=1"] if impl == "C" else []
        run(["arm-none-eabi-gcc", *cflags(cpu, opt), *extra, "-nostartfiles", "--specs=nano.specs",
             "-Wl,--gc-sections", "-Wl,-u,cd_ring_write,-u,cd_self_write", f"-T{work / 'link.ld'}",
             "-o", elf, work / "harness.c", *[SRC / f for f in LINKED], "-lc", "-lgcc"])
        run(["arm-none-eabi-objcopy", "-O", "binary", "-j", ".text", elf, binf])
        self.sym = {}
        for line in run(["arm-none-eabi-nm", elf]).splitlines():
            parts = line.split()
            if len(parts) == 3:
                self.sym[parts[2]] = int(parts[0], 16)
        self.uc = Uc(UC_ARCH_ARM, UC_MODE_THUMB | UC_MODE_MCLASS)
        self.uc.mem_map(CODE_BASE, 0x100000)
        self.uc.mem_map(RAM_BASE, RAM_SIZE)
        self.uc.mem_write(CODE_BASE, binf.read_bytes())
        self.steps = 0
        self.uc.hook_add(UC_HOOK_CODE, self._count)
        rc = self.call("bench_setup")
        assert rc == 0, f"bench_setup failed: {rc}"
        self.ring, self.self_ring = self.word("bench_ring"), self.word("bench_self")
        self.src, self.seq = self.sym["bench_src"], self.sym["bench_seq"]

    def _count(self, uc: Uc, addr: int, size: int, user: object) -> None:
        self.steps += 1

    def mem(self, addr: int, n: int) -> bytes:
        return bytes(self.uc.mem_read(addr, n))

    def word(self, name: str) -> int:
        return u32(self.mem(self.sym[name], 4))

    def call(self, fn: str, *args: int) -> int:
        """Calls fn(args) and returns r0; self.steps counts its instructions."""
        for i, a in enumerate(args):
            self.uc.reg_write(UC_ARM_REG_R0 + i, a)
        self.uc.reg_write(UC_ARM_REG_SP, RAM_BASE + RAM_SIZE - 16)
        self.uc.reg_write(UC_ARM_REG_LR, STOP | 1)
        self.steps = 0
        self.uc.emu_start(self.sym[fn] | 1, STOP, count=1_000_000)
        r0 = self.uc.reg_read(UC_ARM_REG_R0)
        return r0 - (1 << 32) if r0 & 0x80000000 else r0

    def write(self, ring: int, src: int, n: int, seq: int = 0) -> int:
        """One write, checked against a model of the ring; returns its instruction count."""
        before = self.mem(ring, 68)
        count, stride, head, idx = u32(before, 8), u32(before, 12), u32(before, 52), u32(before, 64)
        if ring == self.self_ring:
            rc = self.call("cd_self_write", src, n)
        else:
            rc = self.call("cd_ring_write", ring, src, n, seq)
        steps, after = self.steps, self.mem(ring, 68)
        slot = self.mem(ring + 68 + idx * stride, 4 + n)
        assert rc == 0, f"write {n} B from {src:#x}: status {rc}"
        assert u32(after, 52) == (head + 1) & 0xFFFFFFFF and u32(after, 64) == (idx + 1) % count
        assert u32(slot) == n and slot[4:] == self.mem(src, n), f"slot wrong after {n} B write"
        assert seq == 0 or u32(self.mem(seq, 4)) == head, "seq not returned"
        return steps

    def check_contract(self) -> None:
        """Every length and alignment once, then the error paths (ring unchanged)."""
        for align in range(4):
            for n in range(1, ITEM + 1):
                self.write(self.ring, self.src + align, n, self.seq)
        before = self.mem(self.ring, 68 + COUNT * (ITEM + 4))
        for args, want in [((self.ring, self.src, 0, 0), -1), ((self.ring, 0, 8, 0), -1),
                           ((0, self.src, 8, 0), -1), ((self.ring, self.src, ITEM + 1, 0), -7)]:
            assert self.call("cd_ring_write", *args) == want, f"cd_ring_write{args} != {want}"
        assert self.mem(self.ring, len(before)) == before, "a failed write changed the ring"

    def lap(self, ring: int, src: int, n: int) -> tuple[int, int]:
        """Fills and wraps the ring, then returns (typical, max) over one lap."""
        for _ in range(2 * COUNT):
            self.write(ring, src, n)
        counts = sorted(self.write(ring, src, n) for _ in range(COUNT))
        return counts[len(counts) // 2], counts[-1]


def measure(work: Path, cpu: str, opt: str, impl: str) -> list[tuple[int, int]]:
    t = Target(work, cpu, opt, impl)
    t.check_contract()
    return [t.lap(t.ring, t.src, 32), t.lap(t.ring, t.src + 1, 32), t.lap(t.ring, t.src, 8),
            t.lap(t.self_ring, t.src, 32)]


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        cols = ["write 32 aligned", "write 32 unaligned", "write 8", "self_write 32"]
        print(f"instructions per call, steady state (typ/max), item {ITEM} B x {COUNT}")
        print(f"{'cpu':<11}{'opt':<5}{'impl':<5}" + "".join(f"{c:>20}" for c in cols))
        for cpu in CPUS:
            for opt in OPTS:
                for impl in ["asm", "C"]:
                    row = measure(work, cpu, opt, impl)
                    print(f"{cpu:<11}{opt:<5}{impl:<5}"
                          + "".join(f"{f'{a}/{b}':>20}" for a, b in row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
