# SPDX-License-Identifier: Apache-2.0
"""Code and RAM size of the crashdump release library (-Os): per core, object
by object, then what an application really links (the whole library, and the
fault path alone), then per board.

Per core: compiles the library sources itself with arm-none-eabi-gcc (the same
sources firmware/CMakeLists.txt lists for a Cortex-M build, release: no fault
injection commands, CD_ENABLE_FAULT_CMDS=0) into build/size-<core>/, so the
figures do not depend on how the CMake build passes CPU and FPU flags. The
hard-float cores (-mfloat-abi=hard) compile the FPU capture in (checked: the
fault object must hold VFP instructions).

  - object table: arm-none-eabi-size of each object (every function, used or not);
  - linked: three probe ELFs per core, linked with -Os --gc-sections against
    the library archive and a stub port (trivial cd_port_* functions, a
    separate object whose bytes are not counted). Roots of the "whole" probe:
    every function and object of the public API (crashdump.h, cd_status.h)
    plus the fault handlers; "no serial": the same without the serial
    protocol and status names (a device read out by a debug probe); "fault
    path": the fault handlers, cd_bugcheck and cd_watchdog_warning. The map file says which input section the linker
    kept from which object: library bytes are counted as text (.text, .rodata),
    data (.data) and bss (.bss and .noinit), and the C runtime it pulled in
    (libc/libgcc: memcpy, memset, division helpers...) separately as "rt".

Per board: builds the library with each board's own flags through CMake
(-DBOARD=..., every board in scripts/boards.sh) into build/size-<board>/ and
adds the RAM the demo app gives the library's rings (.noinit of the demo ELF,
sized by the app's config, not by the library). Figures only.

Run: .venv/bin/python tests/bench/sizes.py [core|board ...]
     cores: cortex-m0 cortex-m3 cortex-m4f cortex-m7f cortex-m33 cortex-m33f
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
from boardlist import ci_boards  # noqa: E402
FW = ROOT / "firmware"

# name -> compiler flags for the core (CPU, FPU, float ABI)
CORES: dict[str, list[str]] = {
    "cortex-m0": ["-mcpu=cortex-m0"],
    "cortex-m3": ["-mcpu=cortex-m3"],
    "cortex-m4f": ["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m7f": ["-mcpu=cortex-m7", "-mfloat-abi=hard", "-mfpu=fpv5-d16"],
    "cortex-m33": ["-mcpu=cortex-m33"],
    "cortex-m33f": ["-mcpu=cortex-m33", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
}
# Older name kept for the command line: cortex-m4 / cortex-m7 mean the FPU parts.
ALIASES = {"cortex-m4": "cortex-m4f", "cortex-m7": "cortex-m7f"}

# What the CMake build compiles into the library for Cortex-M, release: every
# portable source, and the architecture's minus fault injection (test builds only).
SOURCES = sorted((FW / "src").glob("*.c")) + sorted(
    p for p in (FW / "arch" / "cortex-m").iterdir()
    if p.suffix in (".c", ".S") and not p.name.startswith("cd_fault_inject"))
# cm_regs.h lives with the Cortex-M port pieces (boards/common/cortex-m before
# they moved to firmware/ports/cortex-m).
INCLUDES = [FW / "include", FW / "src", FW / "arch" / "cortex-m"] + [
    d for d in (FW / "ports" / "cortex-m", ROOT / "boards" / "common" / "cortex-m")
    if (d / "cm_regs.h").is_file()][:1]
CFLAGS = ["-mthumb", "-Os", "-DNDEBUG", "-std=c11", "-ffunction-sections", "-fdata-sections",
          "-Wall", "-Wextra", "-Werror=implicit-function-declaration"]

# Public headers whose functions and objects are the API an application calls.
API_HEADERS = [FW / "include" / "crashdump" / n for n in ("crashdump.h", "cd_status.h")]
# The serial protocol and status names: a device read out only with a debug
# probe (gdb, pyOCD) calls neither, and the linker drops them.
SERIAL_ONLY = {"cd_proto_rx_byte", "cd_proto_poll", "cd_status_str"}
FAULT_ROOTS = ["HardFault_Handler", "NMI_Handler", "MemManage_Handler", "BusFault_Handler",
               "UsageFault_Handler", "SecureFault_Handler", "cd_bugcheck", "cd_watchdog_warning"]
# Defined by the library for its unit tests only; an application never links them.
TEST_ONLY = {"cd_dump_noinit_area"}

# The port the probes link against: every cd_port_* function, doing nothing.
PORT_STUB = """
#include <stddef.h>
#include <stdint.h>
#include "crashdump/cd_port.h"
static const cd_mem_region_t map[1] = {{0x20000000u, 0x10000u, CD_MEM_READ | CD_MEM_WRITE}};
static const cd_flash_geometry_t geo = {0x10000u, 0x10000u, 0x1000u, 4u};
static const uint8_t bid[1];
const cd_mem_region_t *cd_port_memory_map(size_t *count) { *count = 1; return map; }
const uint8_t *cd_port_build_id(size_t *len) { *len = 1; return bid; }
void cd_port_tx(const uint8_t *buf, size_t len) { (void)buf; (void)len; }
void cd_port_reset(void) { for (;;) { } }
const cd_flash_geometry_t *cd_port_flash_geometry(void) { return &geo; }
int cd_port_flash_erase(uint32_t o, uint32_t l) { return (int)(o + l); }
int cd_port_flash_program(uint32_t o, const void *d, uint32_t l) { (void)d; return (int)(o + l); }
int cd_port_flash_read(uint32_t o, void *b, uint32_t l) { (void)b; return (int)(o + l); }
/* Referenced by a release cd_proto.c before it left the FAULT command out. */
int cd_fault_inject(uint32_t kind) { return (int)kind; }
void _exit(int code) { (void)code; for (;;) { } }
"""

Sizes = tuple[int, int, int]


def run(cmd: list[str]) -> str:
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{p.stderr}")
    return p.stdout


def core_flags(core: str) -> list[str]:
    return CORES[core] + ["-mthumb"]


def build_core(core: str) -> tuple[Path, list[Path]]:
    """Compiles the release library for `core`; returns the archive and its objects."""
    out = ROOT / "build" / f"size-{core}"
    (out / "obj").mkdir(parents=True, exist_ok=True)
    objs = []
    for src in SOURCES:
        obj = out / "obj" / (src.name + ".o")
        cmd = ["arm-none-eabi-gcc", *core_flags(core), *CFLAGS,
               *[f"-I{i}" for i in INCLUDES], "-c", str(src), "-o", str(obj)]
        if src.suffix == ".S":
            cmd = [c for c in cmd if not c.startswith("-std") and not c.startswith("-W")]
        run(cmd)
        objs.append(obj)
    lib = out / "libcrashdump.a"
    lib.unlink(missing_ok=True)
    run(["arm-none-eabi-ar", "rcs", str(lib), *map(str, objs)])
    if "-mfloat-abi=hard" in CORES[core]:
        fault_obj = out / "obj" / "cd_fault.c.o"
        if "vstmia" not in run(["arm-none-eabi-objdump", "-d", str(fault_obj)]):
            raise SystemExit(f"{core}: FPU capture is not compiled in (no vstmia in cd_fault)")
    return lib, objs


def object_sizes(objs: list[Path]) -> dict[str, Sizes]:
    rows = {}
    for line in run(["arm-none-eabi-size", *map(str, objs)]).splitlines()[1:]:
        f = line.split()
        if len(f) >= 6:
            name = Path(f[5]).name.split(".c")[0].split(".S")[0]
            rows[name] = (int(f[0]), int(f[1]), int(f[2]))
    return rows


def library_globals(lib: Path) -> list[str]:
    syms = set()
    for line in run(["arm-none-eabi-nm", "-g", "--defined-only", str(lib)]).splitlines():
        f = line.split()
        if len(f) == 3:
            syms.add(f[2])
    return sorted(syms - TEST_ONLY)


def api_names() -> set[str]:
    """cd_* functions and objects declared in the public headers."""
    names = set()
    for h in API_HEADERS:
        text = re.sub(r"/\*.*?\*/", "", h.read_text(), flags=re.S)
        text = re.sub(r"^#.*?(?<!\\)$", "", text, flags=re.M | re.S)  # macros, with continuations
        names |= set(re.findall(r"\b(cd_[a-z0-9_]+)\s*\(", text))
        names |= set(re.findall(r"^extern\s+\w+\s+(cd_[a-z0-9_]+)\s*;", text, flags=re.M))
    return names


def section_kind(name: str) -> str | None:
    if name.startswith((".text", ".rodata", ".ARM.exidx", ".ARM.extab", ".glue", ".vfp11")):
        return "text"
    if name.startswith(".data"):
        return "data"
    if name.startswith((".bss", ".noinit", "COMMON")):
        return "bss"
    return None


def map_sizes(mapfile: Path, lib: Path) -> tuple[Sizes, int, dict[str, int]]:
    """Library text/data/bss kept in the probe, runtime (libc/libgcc) text+data,
    and the kept runtime functions by name."""
    text = mapfile.read_text()
    body = text.split("Linker script and memory map", 1)[1]
    lib_tot = {"text": 0, "data": 0, "bss": 0}
    rt = 0
    rt_funcs: dict[str, int] = {}
    # An input section: " .name  0xADDR  0xSIZE file", the name alone on its
    # line when it is long.
    pat = re.compile(r"^ (\.\S+|COMMON)\s*\n?\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+(\S+)$", re.M)
    for m in pat.finditer(body):
        sec, size, src = m.group(1), int(m.group(2), 16), m.group(3)
        kind = section_kind(sec)
        if kind is None or size == 0:
            continue
        if str(lib) in src:
            lib_tot[kind] += size
        elif "port_stub" in src:
            continue
        elif kind != "bss" and ("libc" in src or "libgcc" in src or "libnosys" in src):
            rt += size
            fn = src.split("(")[-1].rstrip(")")
            rt_funcs[fn] = rt_funcs.get(fn, 0) + size
    return (lib_tot["text"], lib_tot["data"], lib_tot["bss"]), rt, rt_funcs


def probe(core: str, lib: Path, roots: list[str], name: str) -> tuple[Sizes, int, dict[str, int]]:
    out = lib.parent
    stub_c = out / "port_stub.c"
    stub_c.write_text(PORT_STUB)
    stub_o = out / "port_stub.o"
    run(["arm-none-eabi-gcc", *core_flags(core), "-Os", f"-I{FW / 'include'}", "-c",
         str(stub_c), "-o", str(stub_o)])
    elf = out / f"probe-{name}.elf"
    mapfile = out / f"probe-{name}.map"
    cmd = ["arm-none-eabi-gcc", *core_flags(core), "-Os", "-nostartfiles", "--specs=nano.specs",
           "-Wl,--gc-sections", f"-Wl,-Map={mapfile}", "-Wl,-e,0", str(stub_o), str(lib),
           "-o", str(elf)]
    cmd[1:1] = [f"-Wl,--require-defined={r}" for r in roots]
    run(cmd)
    return map_sizes(mapfile, lib)


def per_core(cores: list[str]) -> None:
    table = {}
    linked = {}
    for core in cores:
        lib, objs = build_core(core)
        table[core] = object_sizes(objs)
        syms = library_globals(lib)
        api = sorted(api_names() & set(syms)) + [r for r in FAULT_ROOTS if r in syms]
        no_serial = [r for r in api if r not in SERIAL_ONLY]
        fault_roots = [r for r in FAULT_ROOTS if r in syms]
        linked[core] = (probe(core, lib, api, "all"), probe(core, lib, no_serial, "noserial"),
                        probe(core, lib, fault_roots, "fault"))

    objs = sorted({o for rows in table.values() for o in rows})
    print("crashdump release library (CD_ENABLE_FAULT_CMDS=0), -Os, per object (all functions),"
          " bytes as text/data/bss")
    print(f"{'object':<18}" + "".join(f"{c:>18}" for c in cores))
    for o in objs:
        cells = ["/".join(map(str, table[c][o])) if o in table[c] else "-" for c in cores]
        print(f"{o:<18}" + "".join(f"{x:>18}" for x in cells))
    totals = ["/".join(str(sum(r[i] for r in table[c].values())) for i in range(3))
              for c in cores]
    print(f"{'objects total':<18}" + "".join(f"{x:>18}" for x in totals))

    print()
    print("linked into an application (-Os, --gc-sections, newlib-nano), bytes; bss includes"
          " .noinit; rt = libc/libgcc code pulled in")
    print("  whole: every public API function; no serial: without cd_proto_*/cd_status_str"
          " (dumps read by probe); fault path: the fault handlers, cd_bugcheck, cd_watchdog_warning")
    print(f"{'core':<13}" + "".join(f"{h + ': text':>17}{'data':>6}{'bss':>6}{'rt':>6}"
                                    for h in ("whole", "no serial", "fault path")))
    for core in cores:
        cells = ""
        for (t, rt, _) in linked[core]:
            cells += f"{t[0]:>17}{t[1]:>6}{t[2]:>6}{rt:>6}"
        print(f"{core:<13}{cells}")
    print()
    print("runtime functions pulled in (whole library / fault path), bytes:")
    for core in cores:
        (_, _, afn), _, (_, _, ffn) = linked[core]
        fmt = lambda d: ", ".join(f"{k} {v}" for k, v in sorted(d.items())) or "none"
        print(f"  {core}: {fmt(afn)} / {fmt(ffn)}")


def boards() -> list[str]:
    """QEMU_BOARDS and BUILD_ONLY_BOARDS from scripts/boards.sh, in order."""
    return ci_boards()


def noinit_bytes(board: str) -> int | None:
    """The .noinit section of the board's demo ELF, if it has been built."""
    elf = ROOT / "build" / board / "boards" / board / "crashdump-demo.elf"
    if not elf.is_file():
        return None
    for line in run(["arm-none-eabi-size", "-A", str(elf)]).splitlines():
        f = line.split()
        if f and f[0] == ".noinit":
            return int(f[1])
    return 0


def build_board(board: str) -> Path | None:
    """The board's release library, built through CMake; None if that fails."""
    out = ROOT / "build" / f"size-{board}"
    # Both spellings of the release switch (the option was renamed in the CMake rework).
    cfg = subprocess.run(["cmake", "-S", str(ROOT), "-B", str(out), f"-DBOARD={board}",
                          "-DCD_FAULT_CMDS=OFF", "-DCRASHDUMP_FAULT_CMDS=OFF",
                          "-DCMAKE_BUILD_TYPE=MinSizeRel"], capture_output=True, text=True)
    if cfg.returncode != 0 or subprocess.run(
            ["cmake", "--build", str(out), "--target", "crashdump"],
            capture_output=True, text=True).returncode != 0:
        return None
    libs = sorted(out.rglob("libcrashdump.a"))
    return libs[0] if libs else None


def per_board(names: list[str]) -> None:
    print("crashdump library per board, -Os, release (no fault commands), all objects, bytes")
    print(f"{'board':<22}{'code (text)':>12}{'data':>6}{'bss':>6}{'RAM (data+bss)':>16}"
          f"{'demo .noinit':>14}")
    for b in names:
        lib = build_board(b)
        if lib is None:
            print(f"{b:<22}{'(CMake build of the library failed)':>40}")
            continue
        rows = [line.split() for line in run(["arm-none-eabi-size", str(lib)]).splitlines()[1:]]
        text, data, bss = (sum(int(r[i]) for r in rows if len(r) >= 6) for i in range(3))
        noinit = noinit_bytes(b)
        print(f"{b:<22}{text:>12}{data:>6}{bss:>6}{data + bss:>16}"
              f"{'-' if noinit is None else noinit:>14}")


def main() -> None:
    args = [ALIASES.get(a, a) for a in sys.argv[1:]]
    cores = [a for a in args if a in CORES] if args else list(CORES)
    board_names = [a for a in args if (ROOT / "boards" / a).is_dir()] if args else boards()
    unknown = [a for a in args if a not in CORES and not (ROOT / "boards" / a).is_dir()]
    if unknown:
        raise SystemExit(f"unknown core or board: {' '.join(unknown)}")
    if cores:
        per_core(cores)
    if board_names:
        if cores:
            print()
        per_board(board_names)


if __name__ == "__main__":
    main()
