# SPDX-License-Identifier: Apache-2.0
"""examples/sensor-app, built the way a user builds it and crashed the way a
user's firmware crashes.

The package is installed with `cmake --install` into a temporary prefix, the
example (its own CMakeLists.txt, toolchain file, vector table, linker script
and port; hard-float Cortex-M4F) finds it with find_package, and runs in QEMU
mps2-an386. Its first boot fails a CD_ASSERT, its second takes a BusFault;
the real CLI pulls both dumps over the UART and decodes them against the
example's ELF. The same example also builds with crashdump brought in by
add_subdirectory and by FetchContent."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

import pytest

import crashdump
from crashdump import Client, CrashdumpError
from crashdump.harness.emulate import Emulator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "sensor-app"
CLI = [sys.executable, "-m", "crashdump"]


def run(cmd: List[str], **kw) -> subprocess.CompletedProcess:
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    assert r.returncode == 0, f"{' '.join(map(str, cmd))}\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}"
    return r


def build_example(build: Path, *defs: str) -> Path:
    run(["cmake", "-S", str(EXAMPLE), "-B", str(build),
         f"-DCMAKE_TOOLCHAIN_FILE={EXAMPLE / 'cortex-m4f.cmake'}", *defs])
    run(["cmake", "--build", str(build), "-j2"])
    elf = build / "sensor-app.elf"
    assert elf.is_file()
    return elf


def line_of(path: Path, needle: str) -> int:
    for n, text in enumerate(path.read_text().splitlines(), 1):
        if needle in text:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Dict[str, object]:
    """crashdump installed, the example built against it; step times."""
    tmp = tmp_path_factory.mktemp("example")
    times: Dict[str, float] = {}
    t = time.monotonic()
    run(["cmake", "-S", str(ROOT), "-B", str(tmp / "pkg-build")])
    run(["cmake", "--install", str(tmp / "pkg-build"), "--prefix", str(tmp / "prefix")])
    times["install the package"] = time.monotonic() - t
    t = time.monotonic()
    elf = build_example(tmp / "app", f"-DCMAKE_PREFIX_PATH={tmp / 'prefix'}")
    times["build the example"] = time.monotonic() - t
    return {"tmp": tmp, "elf": elf, "times": times}


def wait_for_boot(url: str, boot: int, seconds: float = 20.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with Client.open(url, timeout=1.0) as dev:
                if dev.info().boot_count >= boot:
                    return
        except CrashdumpError:
            pass
        assert time.monotonic() < deadline, f"the example never reached boot {boot}"
        time.sleep(0.3)


def test_example_crashes_are_pulled_and_decoded(installed) -> None:
    tmp: Path = installed["tmp"]  # type: ignore[assignment]
    elf: Path = installed["elf"]  # type: ignore[assignment]
    times: Dict[str, float] = installed["times"]  # type: ignore[assignment]
    sensor_c, main_c = EXAMPLE / "sensor.c", EXAMPLE / "main.c"

    t = time.monotonic()
    with Emulator("qemu-mps2-an386", elf=elf) as emu:
        wait_for_boot(emu.serial_url, 3)  # boot 1 asserts, boot 2 faults
        times["run until both crashes"] = time.monotonic() - t
        t = time.monotonic()
        info = json.loads(run(CLI + ["--port", emu.serial_url, "--json", "info"]).stdout)
        out = tmp / "dumps"
        out.mkdir()
        run(CLI + ["--port", emu.serial_url, "dump", "pull", "-o", str(out / "crash.cdmp")])
        times["pull the dumps"] = time.monotonic() - t
    assert not emu.locked_up, emu.output
    assert info["name"] == "sensor-app"
    # One version: the VERSION file, the host package, the firmware's INFO.
    assert info["lib_version"] == (ROOT / "VERSION").read_text().strip() == crashdump.__version__
    assert not info["caps_raw"] & (1 << 4)  # CD_CAP_FAULT_CMDS: a release build
    assert info["caps_raw"] & (1 << 5)      # CD_CAP_FPU: hard-float, FPU capture built in

    t = time.monotonic()
    reports = [json.loads(run(CLI + ["decode", str(f), "--elf", str(elf), "--json"]).stdout)
               for f in sorted(out.iterdir())]
    times["decode"] = time.monotonic() - t
    assert len(reports) == 2, [r["header"] for r in reports]
    by_reason = {r["header"]["reason"]: r for r in reports}

    def frames(report) -> List[str]:
        return [f"{f.get('function')}@{Path(f['file']).name}:{f['line']}" if f.get("file")
                else str(f.get("function")) for f in report["backtrace"]]

    assert_line = line_of(sensor_c, "CD_ASSERT(")
    bug = by_reason["bugcheck"]
    assert frames(bug)[1:] == [f"sensor_filter@sensor.c:{assert_line}",
                              f"sensor_step@sensor.c:{line_of(sensor_c, 'sensor_filter(sensor_read')}",
                              f"main@main.c:{line_of(main_c, 'sensor_step(boot, step++)')}"]
    assert bug["header"]["boot_count"] == 1

    fault = by_reason["fault"]
    assert "BusFault" in fault["summary"]
    assert frames(fault) == [f"calibration_apply@sensor.c:{line_of(sensor_c, 'c->gain')}",
                             f"sensor_step@sensor.c:{line_of(sensor_c, 'calibration_apply(filtered)')}",
                             f"main@main.c:{line_of(main_c, 'sensor_step(boot, step++)')}"]
    assert fault["header"]["boot_count"] == 2
    # Hard-float app, FP context active at the fault: s0-s31 are in the dump.
    assert fault["header"]["flags"] & 0x8
    assert_fpu_capture(elf)

    print("\nexample, from a clean tree to decoded dumps:")
    for step, seconds in times.items():
        print(f"  {step:<26} {seconds:6.1f} s")


@pytest.mark.parametrize("how", ["subdirectory", "fetch"])
def test_example_builds_with_crashdump_as_a_subproject(how: str, installed,
                                                       tmp_path: Path) -> None:
    if how == "subdirectory":
        defs = ["-DCRASHDUMP_FROM=subdirectory", f"-DCRASHDUMP_SOURCE_DIR={ROOT}"]
    else:
        head = run(["git", "-C", str(ROOT), "rev-parse", "HEAD"]).stdout.strip()
        defs = ["-DCRASHDUMP_FROM=fetch", f"-DCRASHDUMP_GIT_REPOSITORY=file://{ROOT}",
                f"-DCRASHDUMP_GIT_TAG={head}"]
    elf = build_example(tmp_path / "app", *defs)
    cache = (tmp_path / "app" / "CMakeCache.txt").read_text()
    # crashdump as a subproject left the parent's cache alone...
    for name in ("BOARD", "CD_CPU", "CD_FAULT_CMDS", "CRASHDUMP_FAULT_CMDS"):
        assert not re.search(rf"^{name}:", cache, re.M), name
    assert re.search(r"^CMAKE_BUILD_TYPE:STRING=MinSizeRel$", cache, re.M)
    # ...built no demo or tests...
    assert not list((tmp_path / "app").rglob("crashdump-demo.elf"))
    assert not [p for p in (tmp_path / "app").rglob("test_ring") if p.is_file()]
    # ...and compiled the library with the app's hard-float flags.
    assert_fpu_capture(elf)


def assert_fpu_capture(elf: Path) -> None:
    """The library's FP capture is compiled in (it follows __ARM_FP) and the
    whole image is hard-float (ld refuses to mix ABIs anyway)."""
    syms = run(["arm-none-eabi-nm", str(elf)]).stdout
    assert re.search(r" t cd_fault_fp_high$", syms, re.M), "FPU capture compiled out"
    attrs = run(["arm-none-eabi-readelf", "-A", str(elf)]).stdout
    assert "Tag_ABI_VFP_args: VFP registers" in attrs
