# SPDX-License-Identifier: Apache-2.0
"""The Renode Python peripherals (clock.py, nvmc.py, flash_if.py, nor_flash.py)
run under CPython the way Renode runs them: the whole file once per access, in
one scope that keeps its names, with `request`, `self` and `size` bound.

Renode's request object spells its attributes IsInit/IsRead/IsWrite/IsUser/
Offset/Value/Length from 1.16.1 and isInit/.../length before (1.15.3, 1.16.0).
Every test runs with both spellings, and the fake request has only the one it
is given (like the .NET object), so a file that reads one spelling fails here.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Dict, List, Optional, Tuple

import pytest

from .test_renode_files import ROOT, board_constants, resc

NRF = ROOT / "boards" / "nrf52840dk" / "renode"
STM = ROOT / "boards" / "stm32f4-discovery" / "renode"
NOR = ROOT / "boards" / "common" / "renode" / "nor_flash.py"
PYDEVS = [NRF / "clock.py", NRF / "nvmc.py", STM / "flash_if.py", NOR]
SPELLINGS = ("1.16.1", "1.15.3")
FILL = 0x12345678  # what the fake bus reads where nothing was written
PROGRAM_ENABLE, ERASE_LENGTH, ERASE_AT, VIOLATIONS = 1, 2, 3, 4


def make_request(spelling: str, kind: str, offset: int = 0, value: int = 0, length: int = 4):
    """A request with only one spelling's attributes, as Renode's .NET object."""
    names = ["IsInit", "IsRead", "IsWrite", "IsUser", "Offset", "Value", "Length"]
    if spelling != "1.16.1":
        names = [n[0].lower() + n[1:] for n in names]
    cls = type("PythonRequest", (), {"__slots__": names})
    request = cls()
    for name, v in zip(names, (kind == "init", kind == "read", kind == "write", kind == "user",
                               offset, value, length)):
        setattr(request, name, v)
    return request


class LogLevel:
    Error = "Error"
    Warning = "Warning"


class Bus:
    def __init__(self) -> None:
        self.words: Dict[int, int] = {}

    def WriteDoubleWord(self, address: int, value: int) -> None:  # noqa: N802 - Renode's name
        assert address % 4 == 0 and 0 <= value <= 0xFFFFFFFF
        self.words[address] = value

    def word(self, address: int) -> int:
        return self.words.get(address, FILL)


class Int64:
    """What Renode binds a peripheral's `size` to: a System.Int64, which
    IronPython 2.7 adds, subtracts and compares like an int, but will not
    repeat a sequence by or slice with (a TypeError that stops Renode)."""

    def __init__(self, value: int) -> None:
        self.value = int(value)

    def __int__(self) -> int:
        return self.value

    def __add__(self, other: object) -> "Int64":
        return Int64(self.value + int(other))  # type: ignore[call-overload]

    __radd__ = __add__

    def __sub__(self, other: object) -> "Int64":
        return Int64(self.value - int(other))  # type: ignore[call-overload]

    def __rsub__(self, other: object) -> "Int64":
        return Int64(int(other) - self.value)  # type: ignore[call-overload]

    def __lt__(self, other: object) -> bool:
        return self.value < int(other)  # type: ignore[call-overload]

    def __gt__(self, other: object) -> bool:
        return self.value > int(other)  # type: ignore[call-overload]

    def __le__(self, other: object) -> bool:
        return self.value <= int(other)  # type: ignore[call-overload]

    def __ge__(self, other: object) -> bool:
        return self.value >= int(other)  # type: ignore[call-overload]

    def __eq__(self, other: object) -> bool:
        return self.value == int(other)  # type: ignore[call-overload]

    __hash__ = None  # type: ignore[assignment]


class Machine:
    def __init__(self) -> None:
        self.SystemBus = Bus()  # noqa: N815 - Renode's name
        self.peripherals: Dict[str, "PyDev"] = {}

    def __getitem__(self, name: str) -> "PyDev":
        return self.peripherals[name]


class PyDev:
    """One Python peripheral registered on a fake machine."""

    def __init__(self, path: Path, machine: Machine, spelling: str, size: int = 0x1000,
                 name: Optional[str] = None) -> None:
        self.code = compile(path.read_text(), str(path), "exec")
        self.spelling = spelling
        self.machine = machine
        self.log: List[Tuple[str, str]] = []
        me = self

        class Self:
            def GetMachine(self):  # noqa: N802 - Renode's name
                return machine

            def Log(self, level, message):  # noqa: N802 - Renode's name
                me.log.append((level, message))

        self.scope: Dict[str, object] = {"self": Self(), "size": Int64(size),
                                         "LogLevel": LogLevel}
        if name:
            machine.peripherals[f"sysbus.{name}"] = self
        self.init()

    def run(self, kind: str, offset: int = 0, value: int = 0, length: int = 4):
        request = make_request(self.spelling, kind, offset, value, length)
        self.scope["request"] = request
        exec(self.code, self.scope)  # noqa: S102 - the project's own file
        return request

    def init(self) -> None:  # Renode runs it at creation and on every machine reset
        self.run("init")

    def read(self, offset: int, length: int = 4) -> int:
        return getattr(self.run("read", offset, 0, length), "Value" if self.spelling == "1.16.1"
                       else "value")

    def write(self, offset: int, value: int, length: int = 4) -> None:
        self.run("write", offset, value, length)

    def ControlWrite(self, command: int, value: int) -> None:  # noqa: N802 - Renode's name
        self.run("user", command, value, 8)

    def ControlRead(self, command: int, value: int) -> int:  # noqa: N802 - Renode's name
        return getattr(self.run("user", command, value, 8),
                       "Value" if self.spelling == "1.16.1" else "value")


def board_of(spelling: str, board: str) -> Tuple[Machine, PyDev, Dict[str, int]]:
    """A machine with the board's dump partition as nor_flash.py."""
    c = board_constants(board)
    machine = Machine()
    nor = PyDev(NOR, machine, spelling, size=c["BOARD_DUMP_SIZE"], name="dump_flash")
    return machine, nor, c


# ---------------------------------------------------------------- registrations


@pytest.mark.parametrize("board", ["nrf52840dk", "stm32f4-discovery"])
def test_the_dump_partition_is_registered_as_nor_flash(board):
    c = board_constants(board)
    line = re.search(r"^machine PyDevFromFile \$ORIGIN/\.\./\.\./common/renode/nor_flash\.py "
                     r"(\S+) (\S+) True \"dump_flash\"$", resc(board), re.M)
    assert line, f"{board}.resc does not register nor_flash.py as dump_flash"
    assert int(line.group(1), 0) == c["BOARD_DUMP_BASE"]
    assert int(line.group(2), 0) == c["BOARD_DUMP_SIZE"]
    script = (NRF / "nvmc.py" if board == "nrf52840dk" else STM / "flash_if.py").read_text()
    assert int(re.search(r"^DUMP_BASE = (0x\w+)", script, re.M).group(1), 0) == c["BOARD_DUMP_BASE"]
    assert int(re.search(r"^DUMP_SIZE = (0x\w+)", script, re.M).group(1), 0) == c["BOARD_DUMP_SIZE"]
    assert re.search(r'^DUMP_FLASH = "sysbus\.dump_flash"$', script, re.M)
    assert "PROGRAM_ENABLE, ERASE_LENGTH, ERASE_AT = 1, 2, 3" in script
    nor = NOR.read_text()
    for name, number in (("PROGRAM_ENABLE", 1), ("ERASE_LENGTH", 2), ("ERASE_AT", 3)):
        assert re.search(rf"^{name} = {number}$", nor, re.M)


@pytest.mark.parametrize("path, address, size, name", [
    (NRF / "clock.py", 0x40000000, 0x1000, "clock"),
    (NRF / "nvmc.py", 0x4001E000, 0x1000, "nvmc"),
    (STM / "flash_if.py", 0x40023C00, 0x400, "flash_if")], ids=lambda v: str(v)[-12:])
def test_peripherals_are_registered_where_the_firmware_looks(path, address, size, name):
    board = path.parent.parent.name
    line = re.search(rf"^machine PyDevFromFile \$ORIGIN/{re.escape(path.name)} (\S+) (\S+) True "
                     rf"\"{name}\"$", resc(board), re.M)
    assert line and (int(line.group(1), 0), int(line.group(2), 0)) == (address, size)


@pytest.mark.parametrize("path", PYDEVS, ids=lambda p: p.name)
def test_pydevs_use_no_python3_only_syntax_and_both_spellings(path):
    # Renode runs Python peripherals in IronPython 2.7
    text = path.read_text()
    tree = ast.parse(text)
    py3_only = (ast.JoinedStr, ast.AnnAssign, ast.NamedExpr, ast.Nonlocal, ast.AsyncFunctionDef)
    assert not [type(n).__name__ for n in ast.walk(tree) if isinstance(n, py3_only)]
    # no bare attribute of one spelling outside the `X if NEW_NAMES else x` choice
    code = "\n".join(line.split("#")[0] for line in text.splitlines())
    for attr in re.findall(r"request\.(\w+)", code):
        twin = attr[0].swapcase() + attr[1:]
        assert re.search(rf"request\.{attr} if NEW_NAMES else request\.{twin}|"
                         rf"request\.{twin} if NEW_NAMES else request\.{attr}", code), \
            f"{path.name}: request.{attr} without its other spelling"


# ---------------------------------------------------------------- clock.py


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_clock_hfclkstart_sets_the_event_the_port_polls(spelling):
    clock = PyDev(NRF / "clock.py", Machine(), spelling)
    assert clock.read(0x100) == 0
    clock.write(0x000, 1)
    assert clock.read(0x100) == 1
    clock.write(0x100, 0)  # the port clears the event before starting
    assert clock.read(0x100) == 0
    clock.write(0x558, 0x5A)
    assert clock.read(0x558) == 0x5A and clock.read(0x200) == 0
    clock.write(0x100, 1)
    clock.init()
    assert clock.read(0x100) == 0 and clock.read(0x558) == 0


def test_clock_offsets_are_the_ports():
    port = (ROOT / "boards" / "common" / "nrf5" / "nrf5_port.c").read_text()
    script = (NRF / "clock.py").read_text()
    for c_name, py_name in (("NRF5_CLOCK_TASKS_HFCLKSTART", "TASKS_HFCLKSTART"),
                            ("NRF5_CLOCK_EVENTS_HFCLKSTARTED", "EVENTS_HFCLKSTARTED"),
                            ("NRF52_APPROTECT_DISABLE", "APPROTECT_DISABLE")):
        address = int(re.search(rf"#define {c_name} .*\)(0x[0-9A-Fa-f]+)u\)", port).group(1), 16)
        offset = int(re.search(rf"^{py_name} = (0x\w+)$", script, re.M).group(1), 16)
        assert address == 0x40000000 + offset, c_name


# ---------------------------------------------------------------- nor_flash.py


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_nor_reads_erased_and_programs_only_when_enabled(spelling):
    _, nor, _ = board_of(spelling, "nrf52840dk")
    assert nor.read(0) == 0xFFFFFFFF and nor.read(0x17FFC) == 0xFFFFFFFF
    nor.write(0x10, 0x12345678)
    assert nor.read(0x10) == 0xFFFFFFFF
    assert len(nor.log) == 1 and "disabled" in nor.log[0][1] and nor.log[0][0] == "Error"
    nor.ControlWrite(PROGRAM_ENABLE, 1)
    nor.write(0x10, 0x12345678)
    assert nor.read(0x10) == 0x12345678
    assert nor.read(0x11, 1) == 0x56 and nor.read(0x12, 2) == 0x1234
    nor.write(0x14, 0xAB, 1)
    assert nor.read(0x14) == 0xFFFFFFAB
    assert nor.ControlRead(VIOLATIONS, 0) == 1 and len(nor.log) == 1


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_nor_programming_over_unerased_flash_ands_and_is_reported(spelling):
    _, nor, _ = board_of(spelling, "nrf52840dk")
    nor.ControlWrite(PROGRAM_ENABLE, 1)
    nor.write(0x100, 0xF0F0F0F0)
    nor.write(0x100, 0xF0F0F000)  # clears bits only: fine, as on flash
    assert nor.log == [] and nor.read(0x100) == 0xF0F0F000
    nor.write(0x100, 0x0F0F0F0F)  # sets bits: what a driver that forgot to erase does
    assert nor.read(0x100) == 0x00000000
    assert nor.ControlRead(VIOLATIONS, 0) == 1
    assert "programming over unerased flash at +0x100" in nor.log[0][1]


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_nor_erase_clears_one_unit_and_the_contents_survive_a_reset(spelling):
    _, nor, _ = board_of(spelling, "stm32f4-discovery")
    nor.ControlWrite(PROGRAM_ENABLE, 1)
    for offset in (0x0, 0x1FFFC, 0x20000):
        nor.write(offset, 0)
    nor.init()  # a machine reset: programming disabled, contents kept
    assert nor.read(0x20000) == 0
    nor.write(0x20000, 0xFFFFFFFF)
    assert nor.read(0x20000) == 0 and nor.ControlRead(VIOLATIONS, 0) == 1
    nor.ControlWrite(ERASE_LENGTH, 0x20000)
    nor.ControlWrite(ERASE_AT, 0x10)  # any offset inside the unit
    assert nor.read(0x0) == 0xFFFFFFFF and nor.read(0x1FFFC) == 0xFFFFFFFF
    assert nor.read(0x20000) == 0


# ---------------------------------------------------------------- nvmc.py (nRF52840)


def nrf(spelling: str) -> Tuple[Machine, PyDev, PyDev]:
    machine, nor, _ = board_of(spelling, "nrf52840dk")
    return machine, nor, PyDev(NRF / "nvmc.py", machine, spelling, name="nvmc")


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_nvmc_ready_always_and_config_stored(spelling):
    machine, nor, nvmc = nrf(spelling)
    assert nvmc.read(0x400) == 1 and nvmc.read(0x408) == 1
    assert nvmc.read(0x504) == 0
    for mode in (2, 1, 0):
        nvmc.write(0x504, mode)
        assert nvmc.read(0x504) == mode
    assert machine.SystemBus.words == {}
    nvmc.write(0x504, 2)
    nvmc.init()  # Renode re-runs init on a machine reset
    assert nvmc.read(0x504) == 0


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_nvmc_config_wen_enables_programming_the_partition(spelling):
    _, nor, nvmc = nrf(spelling)
    for config, programs in ((0, False), (2, False), (1, True)):
        nvmc.write(0x504, config)
        nor.write(0x40, 0x0)
        assert (nor.read(0x40) == 0) == programs, config
    nvmc.write(0x504, 0)
    nor.write(0x44, 0x0)
    assert nor.read(0x44) == 0xFFFFFFFF


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_nvmc_erasepage_erases_the_page_in_erase_mode_only(spelling):
    machine, nor, nvmc = nrf(spelling)
    nvmc.write(0x504, 1)
    for offset in (0x0FFC, 0x1000, 0x1FFC, 0x2000):
        nor.write(offset, 0)
    nvmc.write(0x504, 0)
    nvmc.write(0x508, 0xE9010)  # CONFIG is 0: the hardware ignores the erase
    nvmc.write(0x504, 1)
    nvmc.write(0x508, 0xE9010)
    assert nor.read(0x1000) == 0
    nvmc.write(0x504, 2)
    nvmc.write(0x508, 0xE9010)  # any address inside the page erases the page
    assert [nor.read(o) for o in (0x0FFC, 0x1000, 0x1FFC, 0x2000)] == \
        [0, 0xFFFFFFFF, 0xFFFFFFFF, 0]
    # a page of code flash below the partition: filled through the bus
    nvmc.write(0x508, 0x3004)
    assert set(machine.SystemBus.words) == set(range(0x3000, 0x4000, 4))
    assert set(machine.SystemBus.words.values()) == {0xFFFFFFFF}
    nvmc.write(0x508, 0x100000)  # past the flash: nothing
    assert len(machine.SystemBus.words) == 0x400


def test_nvmc_geometry_matches_the_board_and_the_driver():
    c = board_constants("nrf52840dk")
    _, _, nvmc = nrf("1.16.1")
    assert nvmc.scope["PAGE_SIZE"] == c["BOARD_DUMP_ERASE_SIZE"]
    assert nvmc.scope["FLASH_SIZE"] == c["BOARD_FLASH_SIZE"]
    driver = (ROOT / "firmware" / "ports" / "flash" / "flash_nvmc.c").read_text()
    assert re.search(r"#define CD_NVMC_BASE 0x4001E000u", driver)
    offsets = dict(re.findall(r"#define NVMC_(\w+) .*CD_NVMC_BASE \+ (0x[0-9A-Fa-f]+)u", driver))
    assert {k: int(v, 16) for k, v in offsets.items()} == \
        {k: nvmc.scope[k] for k in ("READY", "CONFIG", "ERASEPAGE")}


# ---------------------------------------------------------------- flash_if.py (STM32F4)


def stm(spelling: str) -> Tuple[Machine, PyDev, PyDev]:
    machine, nor, _ = board_of(spelling, "stm32f4-discovery")
    return machine, nor, PyDev(STM / "flash_if.py", machine, spelling, size=0x400,
                               name="flash_if")


KEYR, SR, CR = 0x04, 0x0C, 0x10
LOCK, PG, SER, STRT, PSIZE_X32 = 1 << 31, 1, 2, 1 << 16, 2 << 8


def unlock(flash_if: PyDev) -> None:
    flash_if.write(KEYR, 0x45670123)
    flash_if.write(KEYR, 0xCDEF89AB)


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_flash_if_unlocks_with_the_keys_only(spelling):
    _, nor, flash_if = stm(spelling)
    assert flash_if.read(CR) & LOCK and flash_if.read(SR) == 0
    flash_if.write(CR, PSIZE_X32 | PG)  # locked: ignored
    assert flash_if.read(CR) == LOCK
    nor.write(0, 0)
    assert nor.read(0) == 0xFFFFFFFF
    unlock(flash_if)
    assert flash_if.read(CR) == 0
    flash_if.write(CR, LOCK)
    assert flash_if.read(CR) & LOCK
    flash_if.write(KEYR, 0x1)  # a wrong key: locked until reset
    unlock(flash_if)
    assert flash_if.read(CR) & LOCK
    flash_if.init()
    unlock(flash_if)
    assert flash_if.read(CR) == 0


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_flash_if_pg_programs_and_ser_erases_sectors(spelling):
    machine, nor, flash_if = stm(spelling)
    unlock(flash_if)
    flash_if.write(CR, PSIZE_X32 | PG)
    nor.write(0x0, 0x0)          # sector 10
    nor.write(0x20000, 0x0)      # sector 11
    flash_if.write(CR, PSIZE_X32)
    nor.write(0x4, 0x0)          # PG cleared: refused
    assert (nor.read(0x0), nor.read(0x4), nor.read(0x20000)) == (0, 0xFFFFFFFF, 0)
    cr = PSIZE_X32 | SER | (11 << 3)
    flash_if.write(CR, cr)
    assert nor.read(0x20000) == 0  # no STRT yet
    flash_if.write(CR, cr | STRT)
    assert nor.read(0x20000) == 0xFFFFFFFF and nor.read(0x0) == 0
    assert not flash_if.read(CR) & STRT and flash_if.read(SR) == 0
    flash_if.write(CR, PSIZE_X32 | SER | (2 << 3) | STRT)  # a 16 KiB code sector
    assert set(machine.SystemBus.words) == set(range(0x08008000, 0x0800C000, 4))
    flash_if.write(SR, 0xF3)
    assert flash_if.read(SR) == 0
    assert nor.ControlRead(VIOLATIONS, 0) == 1  # the refused write


def test_flash_if_registers_are_the_drivers():
    header = (ROOT / "firmware" / "ports" / "flash" / "flash_stm32f4.h").read_text()
    script = (STM / "flash_if.py").read_text()

    def c(name: str) -> int:
        value = re.search(rf"#define STM32F4_FLASH_{name} \(?(\w+)u?( << (\d+))?", header)
        number = int(value.group(1).rstrip("u"), 0)
        return number << int(value.group(3)) if value.group(3) else number

    def py(name: str) -> int:
        return int(eval(re.search(rf"^{name} = (.+)$", script, re.M).group(1)))  # noqa: S307

    for name in ("KEYR", "SR", "CR", "ACR", "CR_PG", "CR_SER", "CR_STRT", "CR_LOCK"):
        assert py(name) == c(name), name
    assert py("CR_SNB_POS") == c("CR_SNB_POS")
    assert re.search(r"KEYS = \(0x45670123, 0xCDEF89AB\)", script)


# ---------------------------------------------------------------- the real STM32F4 driver


SHIM = """
#include <stdint.h>
typedef uint32_t (*rd_t)(uint32_t);
typedef void (*wr_t)(uint32_t, uint32_t);
static rd_t rd, prd;
static wr_t wr, pwr;
void shim_set(rd_t a, wr_t b, rd_t c, wr_t d) { rd = a; wr = b; prd = c; pwr = d; }
uint32_t stm32f4_io_read(uint32_t reg) { return rd(reg); }
void stm32f4_io_write(uint32_t reg, uint32_t value) { wr(reg, value); }
uint32_t stm32f4_io_part_read(uint32_t offset) { return prd(offset); }
void stm32f4_io_part_write(uint32_t offset, uint32_t value) { pwr(offset, value); }
"""


@pytest.fixture(scope="module")
def stm32f4_driver(tmp_path_factory: pytest.TempPathFactory):
    """firmware/ports/flash/flash_stm32f4.c built for the host with its
    FLASH_STM32F4_FAKE_IO hooks, as a shared library."""
    import ctypes
    import shutil
    import subprocess
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no host C compiler (cc, gcc or clang)")
    tmp = tmp_path_factory.mktemp("stm32f4_driver")
    (tmp / "shim.c").write_text(SHIM)
    flash = ROOT / "firmware" / "ports" / "flash"
    lib = tmp / "libdriver.so"
    build = subprocess.run(
        [cc, "-std=c11", "-shared", "-fPIC", "-DFLASH_STM32F4_FAKE_IO=1",
         '-DCD_CONFIG_FILE="cd_test_config.h"', f"-I{ROOT / 'tests' / 'unit' / 'stm32f4'}",
         f"-I{flash}", f"-I{ROOT / 'firmware' / 'include'}", str(flash / "flash_stm32f4.c"),
         str(flash / "flash_part.c"), str(tmp / "shim.c"), "-o", str(lib)],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    return ctypes.CDLL(str(lib))


@pytest.mark.parametrize("spelling", SPELLINGS)
def test_the_stm32f4_driver_erases_and_programs_through_the_models(stm32f4_driver, spelling):
    """The firmware's own driver against flash_if.py and nor_flash.py: an erase
    then a program succeeds and reads back; programming again without the
    erase fails the driver's read-back and is logged by the NOR model."""
    import ctypes
    _, nor, flash_if = stm(spelling)
    rd = ctypes.CFUNCTYPE(ctypes.c_uint32, ctypes.c_uint32)
    wr = ctypes.CFUNCTYPE(None, ctypes.c_uint32, ctypes.c_uint32)
    hooks = (rd(lambda reg: flash_if.read(reg)), wr(lambda reg, v: flash_if.write(reg, v)),
             rd(lambda off: nor.read(off)), wr(lambda off, v: nor.write(off, v)))
    stm32f4_driver.shim_set(*hooks)
    program = stm32f4_driver.cd_port_flash_program
    program.argtypes = (ctypes.c_uint32, ctypes.c_char_p, ctypes.c_uint32)
    erase = stm32f4_driver.cd_port_flash_erase
    erase.argtypes = (ctypes.c_uint32, ctypes.c_uint32)

    data = bytes(range(16))
    assert program(0x20000, data, 16) == 0  # fresh flash is erased
    assert [nor.read(0x20000 + i) for i in range(0, 16, 4)] == \
        [int.from_bytes(data[i:i + 4], "little") for i in range(0, 16, 4)]
    assert nor.log == [] and flash_if.read(0x10) & (1 << 31)  # locked again
    assert program(0x20000, bytes(16 * [0xA5]), 16) != 0  # forgot to erase
    assert any("programming over unerased flash" in m for _, m in nor.log)
    assert erase(0x20000, 0x20000) == 0
    assert nor.read(0x20000) == 0xFFFFFFFF
    assert program(0x20000, bytes(16 * [0xA5]), 16) == 0
    assert nor.read(0x2000C) == 0xA5A5A5A5
