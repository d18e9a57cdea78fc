# SPDX-License-Identifier: Apache-2.0
"""Code and RAM size of the crashdump library (-Os): per core, object by
object, then per board.

Per core: cross-builds the library alone (-DCD_CPU=...) into build/size-<cpu>/.
Per board: builds the library with each board's own flags (-DBOARD=..., every
board in scripts/boards.sh) into build/size-<board>/. Both leave the test-only
fault commands out, as a release build would, and print text/data/bss from
arm-none-eabi-size. The board table adds the RAM the demo app gives the
library's rings (.noinit, sized by the app's config, not by the library).
Figures only.

Run: .venv/bin/python tests/bench/sizes.py [cpu|board ...]
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CPUS = ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m7", "cortex-m33"]


def boards() -> list[str]:
    """QEMU_BOARDS and BUILD_ONLY_BOARDS from scripts/boards.sh, in order."""
    text = (ROOT / "scripts" / "boards.sh").read_text()
    found = []
    for var in ("QEMU_BOARDS", "BUILD_ONLY_BOARDS"):
        m = re.search(var + r"=\(([^)]*)\)", text)
        found += m.group(1).split() if m else []
    return found


def noinit_bytes(board: str) -> int | None:
    """The .noinit section of the board's demo ELF, if it has been built."""
    elf = ROOT / "build" / board / "boards" / board / "crashdump-demo.elf"
    if not elf.is_file():
        return None
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], check=True,
                         capture_output=True, text=True).stdout
    for line in out.splitlines():
        f = line.split()
        if f and f[0] == ".noinit":
            return int(f[1])
    return 0


def build(what: str) -> Path:
    out = ROOT / "build" / f"size-{what}"
    flag = f"-DBOARD={what}" if (ROOT / "boards" / what).is_dir() else f"-DCD_CPU={what}"
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(out), flag,
                    "-DCD_FAULT_CMDS=OFF", "-DCMAKE_BUILD_TYPE=MinSizeRel"],
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["cmake", "--build", str(out), "--target", "crashdump"],
                   check=True, stdout=subprocess.DEVNULL)
    return out / "firmware" / "libcrashdump.a"


def sizes(lib: Path) -> dict[str, tuple[int, int, int]]:
    text = subprocess.run(["arm-none-eabi-size", str(lib)], check=True, capture_output=True,
                          text=True).stdout
    rows = {}
    for line in text.splitlines()[1:]:
        f = line.split()
        if len(f) >= 6:
            name = f[5].split(".c")[0].split(".S")[0]
            rows[name] = (int(f[0]), int(f[1]), int(f[2]))
    return rows


def total(rows: dict[str, tuple[int, int, int]]) -> tuple[int, int, int]:
    return tuple(sum(r[i] for r in rows.values()) for i in range(3))  # type: ignore[return-value]


def per_board(names: list[str]) -> None:
    print("crashdump library per board, -Os, release (no fault commands), bytes")
    print(f"{'board':<22}{'code (text)':>12}{'data':>6}{'bss':>6}{'RAM (data+bss)':>16}"
          f"{'demo .noinit':>14}")
    for b in names:
        text, data, bss = total(sizes(build(b)))
        noinit = noinit_bytes(b)
        print(f"{b:<22}{text:>12}{data:>6}{bss:>6}{data + bss:>16}"
              f"{'-' if noinit is None else noinit:>14}")


def main() -> None:
    args = sys.argv[1:]
    cpus = [a for a in args if not (ROOT / "boards" / a).is_dir()] if args else CPUS
    board_names = [a for a in args if (ROOT / "boards" / a).is_dir()] if args else boards()
    if cpus:
        per_core(cpus)
    if board_names:
        if cpus:
            print()
        per_board(board_names)


def per_core(cpus: list[str]) -> None:
    table = {cpu: sizes(build(cpu)) for cpu in cpus}
    objs = sorted({o for rows in table.values() for o in rows})
    print("crashdump library, -Os, bytes as text/data/bss (fault injection commands left out)")
    print(f"{'object':<18}" + "".join(f"{cpu:>20}" for cpu in cpus))
    for o in objs:
        cells = ["/".join(map(str, table[c][o])) if o in table[c] else "-" for c in cpus]
        print(f"{o:<18}" + "".join(f"{x:>20}" for x in cells))
    totals = ["/".join(map(str, total(table[c]))) for c in cpus]
    print(f"{'total':<18}" + "".join(f"{x:>20}" for x in totals))


if __name__ == "__main__":
    main()
