# SPDX-License-Identifier: Apache-2.0
"""The gdbrsp pyOCD probe against real QEMU: the pyocd CLI as a subprocess,
and pyOCD's Python API, on every QEMU board."""
from __future__ import annotations

import subprocess
import time
import sys
from pathlib import Path
from typing import Iterator

import pytest

from crashdump import Client
from crashdump.decode.elf import Elf
from crashdump.harness.emulate import Emulator, get_board
from crashdump.probe.gdbrsp import GdbRspRegisterError
from crashdump.probe.rsp_client import RspClient
from pyocd.core import exceptions
from pyocd.core.helpers import ConnectHelper
from pyocd.core.target import Target

PYOCD = str(Path(sys.executable).with_name("pyocd"))
CORE_REGS = [f"r{i}" for i in range(13)] + ["sp", "lr", "pc", "xpsr"]


@pytest.fixture
def gemu(board: str, elf: Path) -> Iterator[Emulator]:
    with Emulator(board, elf=elf, gdb_port=0) as e:
        yield e
    assert not e.locked_up, e.output


def session_for(emu: Emulator):
    return ConnectHelper.session_with_chosen_probe(
        unique_id=f"gdbrsp:{emu.gdb_address}", target_override="cortex_m",
        options={"connect_mode": "attach"})


def word(data: bytes, index: int = 0) -> int:
    return int.from_bytes(data[4 * index:4 * index + 4], "little")


def test_pyocd_commander_reads_the_vector_table(gemu: Emulator, elf: Path, board: str) -> None:
    with Elf(elf) as image:
        vt = image.address_of("cm_core_vectors")  # 0x0, or 0x10000000 on the an505
        vectors = image.read(vt, 8)
    assert vectors is not None
    # The micro:bit also checks that an explicit built-in target works (the others: generic cortex_m).
    target = ["--target", "nrf51"] if board == "qemu-microbit" else []
    done = subprocess.run([PYOCD, "commander", "-u", f"gdbrsp:{gemu.gdb_address}", *target,
                           "-c", f"read32 0x{vt:x} 8"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    line = next(l for l in done.stdout.splitlines() if l.startswith(f"{vt:08x}:"))
    assert [int(w, 16) for w in line.split()[1:3]] == [word(vectors, 0), word(vectors, 1)]
    # Left running: the firmware still answers on its UART.
    with Client.open(gemu.serial_url, timeout=5.0) as dev:
        assert dev.info().name == "crashdump-demo"
    # Halted by the user and asked to stay so: still halted for the next session.
    done = subprocess.run([PYOCD, "commander", "-u", f"gdbrsp:{gemu.gdb_address}", *target,
                           "-O", "resume_on_disconnect=false", "-c", "halt"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    with RspClient("127.0.0.1", int(gemu.gdb_address.rsplit(":", 1)[1])) as rsp:
        assert not rsp.found_running, "pyocd commander -c halt left the guest running"
        rsp.leave(running=True)
    with Client.open(gemu.serial_url, timeout=5.0) as dev:
        assert dev.info().name == "crashdump-demo"


def test_python_api_memory_run_control_registers_reset(gemu: Emulator, elf: Path, board: str) -> None:
    with Elf(elf) as image:
        # The unused bottom of the main stack, past the mps2 MPU guard's 1 KiB QEMU page.
        scratch = image.address_of("__stack_limit") + 0x400
        stack = (image.address_of("__stack_limit"), image.address_of("__stack_top"))
        text = image.text_ranges()
        vt = image.address_of("cm_core_vectors")
        vectors = image.read(vt, 8)
    with Client.open(gemu.serial_url, timeout=5.0) as dev:
        boots = dev.info().boot_count

    with session_for(gemu) as session:
        target = session.target
        assert target.get_state() == Target.State.RUNNING
        assert target.read_memory_block32(vt, 2) == [word(vectors, 0), word(vectors, 1)]

        target.halt()
        assert target.get_state() == Target.State.HALTED
        regs = {r: target.read_core_register(r) for r in CORE_REGS}
        assert any(lo <= regs["pc"] < hi for lo, hi in text), hex(regs["pc"])
        assert stack[0] <= regs["sp"] <= stack[1], hex(regs["sp"])
        assert regs["xpsr"] & (1 << 24)  # Thumb bit
        with pytest.raises(GdbRspRegisterError, match="does not expose register 'msp'"):
            target.read_core_register("msp")
        with pytest.raises(exceptions.CoreRegisterAccessError):
            target.read_core_register("primask")

        saved = target.read_memory_block32(scratch, 4)
        pattern = [0x01234567, 0x89ABCDEF, 0xDEADBEEF, 0x0BADF00D]
        target.write_memory_block32(scratch, pattern)
        assert target.read_memory_block32(scratch, 4) == pattern
        assert target.read_memory_block8(scratch + 1, 3) == [0x45, 0x23, 0x01]
        target.write_memory_block32(scratch, saved)

        r0 = regs["r0"]
        target.write_core_register("r0", 0x5A5A5A5A)
        assert target.read_core_register("r0") == 0x5A5A5A5A
        target.write_core_register("r0", r0)

        target.step()
        assert target.get_state() == Target.State.HALTED
        target.resume()
        assert target.get_state() == Target.State.RUNNING

        target.reset_and_halt()
        assert target.get_state() == Target.State.HALTED
        assert target.read_core_register("pc") == word(vectors, 1) & ~1
        target.reset()
        assert target.get_state() == Target.State.RUNNING

        if board.startswith("qemu-mps2") and get_board(board).arch.startswith("v7"):
            # A QEMU limit: the MPU applies to the stub's accesses (the demo's
            # stack guard; v8-M boards guard the stack with MSPLIM instead).
            with pytest.raises(exceptions.TransferFaultError):
                target.read32(stack[0])

    # Left running, and the resets were real warm resets: one boot counted, as
    # reset_and_halt stopped at the reset vector before the firmware ran.
    with Client.open(gemu.serial_url, timeout=5.0) as dev:
        info = dev.info()
    assert info.boot_count == boots + 1


def test_hardware_breakpoint_stops_the_guest(gemu: Emulator, elf: Path) -> None:
    """FPB comparators become Z1 breakpoints in QEMU; the demo's main loop calls
    cd_proto_poll() continually, so the breakpoint is hit at once."""
    with Elf(elf) as image:
        poll = image.address_of("cd_proto_poll") & ~1
    with session_for(gemu) as session:
        target = session.target
        target.halt()
        assert target.set_breakpoint(poll)
        target.resume()
        deadline = time.monotonic() + 5
        while target.get_state() != Target.State.HALTED and time.monotonic() < deadline:
            time.sleep(0.01)
        assert target.get_state() == Target.State.HALTED
        assert target.read_core_register("pc") == poll
        assert target.get_halt_reason() == Target.HaltReason.BREAKPOINT
        target.remove_breakpoint(poll)
        target.resume()
    with Client.open(gemu.serial_url, timeout=5.0) as dev:
        assert dev.info().name == "crashdump-demo"
