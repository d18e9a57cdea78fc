# SPDX-License-Identifier: Apache-2.0
"""Settings from a config header (CRASHDUMP_CONFIG_FILE, the way the docs tell a
firmware to set them) must build exactly what the same settings as -D flags
build. Every source and header that reads a setting must therefore see the
config header before it reads it; one that does not silently falls back to the
default (as the ARMv7-M thread stack guard once did: the board builds pass
-D flags, so only a firmware with a config file had no guard).

Each firmware source the CMake package compiles is built twice with
arm-none-eabi-gcc, once per way, and the code and data must be identical."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Dict, List

import pytest

ROOT = Path(__file__).resolve().parents[2]
FW = ROOT / "firmware"
GCC = "arm-none-eabi-gcc"
OBJDUMP = "arm-none-eabi-objdump"

# Non-default values for the settings a port or an application sets.
SETTINGS: Dict[str, str] = {
    "CD_THREAD_MAX": "4",
    "CD_THREAD_CONTEXT": "2",
    "CD_THREAD_GUARD_REGION": "6",
    "CD_WATCHDOG_IRQ": "5",
    "CD_IRQ_COUNT": "40",
    "CD_FRAME_MAX": "512u",
    "CD_ITEM_MAX": "128u",
    "CD_FAULT_STACK_BYTES": "768",
    "CD_DUMP_SLOTS_MAX": "4",
    "CD_DUMP_BASE": "0x08080000u",
    "CD_DUMP_SIZE": "0x00040000u",
    "CD_DUMP_ERASE_SIZE": "0x20000u",
    "CD_ENABLE_FAULT_CMDS": "1",
}
CORES = {
    "cortex-m4f": ["-mcpu=cortex-m4", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    "cortex-m33": ["-mcpu=cortex-m33"],
}
INCLUDES = [FW / "include", FW / "src", FW / "arch" / "cortex-m", FW / "ports" / "cortex-m",
            FW / "ports" / "flash"]
SOURCES = sorted([*(FW / "src").glob("*.c"), *(FW / "arch" / "cortex-m").glob("*.[cS]"),
                  *(FW / "ports" / "cortex-m").glob("*.c"), *(FW / "ports" / "flash").glob("*.c"),
                  *(FW / "rtos").glob("*/*.c")])

pytestmark = pytest.mark.skipif(shutil.which(GCC) is None, reason=f"{GCC} not installed")


def compile_one(src: Path, out: Path, flags: List[str]) -> str:
    """The object's disassembly and section contents, without its file name."""
    cmd = [GCC, "-mthumb", "-Os", "-std=c11", "-ffunction-sections", "-fdata-sections",
           "-c", str(src), "-o", str(out), *flags, *[f"-I{d}" for d in INCLUDES]]
    r = subprocess.run(cmd, capture_output=True, text=True)
    assert r.returncode == 0, f"{' '.join(cmd)}\n{r.stderr}"
    full = subprocess.run([OBJDUMP, "-d", "-s", "-r", str(out)], capture_output=True,
                          text=True, check=True).stdout
    return "\n".join(full.splitlines()[2:])


@pytest.mark.parametrize("core", list(CORES))
def test_config_file_builds_what_defines_build(core: str, tmp_path: Path) -> None:
    header = tmp_path / "my_crashdump_config.h"
    header.write_text("#pragma once\n" + "".join(f"#define {k} {v}\n" for k, v in SETTINGS.items()))
    by_flags = [f"-D{k}={v}" for k, v in SETTINGS.items()]
    by_file = [f'-DCD_CONFIG_FILE="{header}"']
    differ = []
    for src in SOURCES:
        a = compile_one(src, tmp_path / f"{src.stem}-d.o", CORES[core] + by_flags)
        b = compile_one(src, tmp_path / f"{src.stem}-f.o", CORES[core] + by_file)
        if a.replace(f"{src.stem}-d.o", "") != b.replace(f"{src.stem}-f.o", ""):
            differ.append(src.relative_to(ROOT).as_posix())
    assert not differ, f"settings from the config file are not seen by: {differ}"


def test_thread_guard_from_a_config_file(tmp_path: Path) -> None:
    """The case that went wrong: with CD_THREAD_GUARD_REGION in the config
    file, cd_thread_switch() programs the ARMv7-M guard, so the code differs
    from the same file without it."""
    objs = []
    for n, extra in enumerate(("", "#define CD_THREAD_GUARD_REGION 7\n")):
        header = tmp_path / f"cfg{n}.h"
        header.write_text("#define CD_THREAD_MAX 4\n" + extra)
        objs.append(compile_one(FW / "src" / "cd_thread.c", tmp_path / "t.o",
                                CORES["cortex-m4f"] + [f'-DCD_CONFIG_FILE="{header}"']))
    assert objs[0] != objs[1]
