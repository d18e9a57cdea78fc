"""Code and RAM size of the crashdump library per core (-Os), object by object.

Cross-builds the library alone (-DCD_CPU=...) into build/size-<cpu>/ with the
test-only fault commands left out, as a release build would, and prints
text/data/bss from arm-none-eabi-size. Figures only.

Run: .venv/bin/python tests/bench/sizes.py [cpu ...]
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CPUS = ["cortex-m0", "cortex-m3", "cortex-m4", "cortex-m33"]


def build(cpu: str) -> Path:
    out = ROOT / "build" / f"size-{cpu}"
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(out), f"-DCD_CPU={cpu}",
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


def main() -> None:
    cpus = sys.argv[1:] or CPUS
    table = {cpu: sizes(build(cpu)) for cpu in cpus}
    objs = sorted({o for rows in table.values() for o in rows})
    print("crashdump library, -Os, bytes as text/data/bss (fault injection commands left out)")
    print(f"{'object':<18}" + "".join(f"{cpu:>20}" for cpu in cpus))
    for o in objs:
        cells = ["/".join(map(str, table[c][o])) if o in table[c] else "-" for c in cpus]
        print(f"{o:<18}" + "".join(f"{x:>20}" for x in cells))
    totals = ["/".join(str(sum(r[i] for r in table[c].values())) for i in range(3)) for c in cpus]
    print(f"{'total':<18}" + "".join(f"{x:>20}" for x in totals))


if __name__ == "__main__":
    main()
