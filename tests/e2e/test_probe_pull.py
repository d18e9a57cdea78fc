# SPDX-License-Identifier: Apache-2.0
"""Dump retrieval through pyOCD, end to end: the real firmware in QEMU crashes,
then the real `crashdump` CLI pulls the dump once over the UART (pyserial) and
once through unmodified pyOCD driving QEMU's GDB stub with the gdbrsp probe
plugin. The two files must be byte-identical, and every probe session must
leave the target as it found it: each test talks to the firmware over its UART
after every pull (running stays running), and a QEMU started paused stays
paused.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Iterator, List

import pytest

from crashdump import Client
from crashdump.dumpfile.format import DUMP_LOCATOR
from crashdump.harness.emulate import Emulator
from crashdump.probe.rsp_client import RspClient

FAULT_BAD_READ = 1


@pytest.fixture
def gdb_emu(board: str, elf: Path) -> Iterator[Emulator]:
    with Emulator(board, elf=elf, gdb_port=0) as e:
        yield e
    assert not e.locked_up, e.output


def cli(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, "-m", "crashdump", *args], capture_output=True,
                          text=True, timeout=120)
    if ok:
        assert done.returncode == 0, done.stderr
    return done


def still_running(emu: Emulator) -> None:
    """The firmware answers on its UART: the probe session let it run on."""
    with Client.open(emu.serial_url, timeout=5.0) as dev:
        assert dev.info().name == "crashdump-demo"


def probe_pull(emu: Emulator, out: Path, *extra: str) -> dict:
    done = cli("--json", "dump", "pull", "--probe", f"gdbrsp:{emu.gdb_address}",
               "-o", str(out), *extra)
    doc = json.loads(done.stdout)
    assert doc["target_state"] == "running"
    still_running(emu)
    return doc


def test_probe_pull_is_byte_identical_to_serial_pull(gdb_emu, board, elf, tmp_path):
    with Client.open(gdb_emu.serial_url, timeout=5.0) as dev:
        dev.fault(FAULT_BAD_READ)
        boots = dev.info().boot_count
    cli("--port", gdb_emu.serial_url, "dump", "pull", "-o", str(tmp_path / "serial.cdmp"))
    doc = probe_pull(gdb_emu, tmp_path / "probe.cdmp", "--elf", str(elf))

    serial = (tmp_path / "serial.cdmp").read_bytes()
    assert (tmp_path / "probe.cdmp").read_bytes() == serial
    assert doc["pulled"][0]["bytes"] == len(serial) == doc["dump_bytes"]
    assert doc["partition"].startswith("cd_dump_locator")
    # left as found: still running, same boot, still answering
    assert doc["target_state"] == "running"
    with Client.open(gdb_emu.serial_url, timeout=5.0) as dev:
        assert dev.info().boot_count == boots
    # only the committed bytes: the locator, then the dump in one read
    assert doc["bytes_read"] == DUMP_LOCATOR.size + len(serial)


def test_probe_pull_by_board_scan_without_elf(gdb_emu, board, tmp_path):
    from crashdump.probe.locate import BOARD_PARTITIONS
    if board not in BOARD_PARTITIONS:
        pytest.skip(f"{board} has no board description")
    with Client.open(gdb_emu.serial_url, timeout=5.0) as dev:
        dev.fault(FAULT_BAD_READ)
        slots = dev.dump_status().slots
    doc = probe_pull(gdb_emu, tmp_path / "scan.cdmp", "--board", board)
    assert [p["bytes"] for p in doc["pulled"]] == [s.total_len for s in slots if s.state == 1]
    assert doc["partition"].startswith(f"board {board}")


def test_probe_pull_with_no_dump_says_so(gdb_emu, elf, tmp_path):
    doc = probe_pull(gdb_emu, tmp_path / "none.cdmp", "--elf", str(elf))
    assert doc["pulled"] == [] and doc["skipped"] == []
    assert not (tmp_path / "none.cdmp").exists()


def test_probe_pull_leaves_a_paused_target_paused(board, elf, tmp_path):
    """QEMU started with -S: the pull reads it without running a single
    instruction, and a second session finds it still halted at its reset vector."""
    with Emulator(board, elf=elf, gdb_port=0, paused=True) as emu:
        with RspClient("127.0.0.1", int(emu.gdb_address.rsplit(":", 1)[1])) as rsp:
            assert not rsp.found_running
            pc = rsp.read_register("pc")
        for _ in range(2):
            done = cli("--json", "dump", "pull", "--probe", f"gdbrsp:{emu.gdb_address}",
                       "--elf", str(elf), "-o", str(tmp_path / "paused.cdmp"))
            assert json.loads(done.stdout)["target_state"] == "halted"
        with RspClient("127.0.0.1", int(emu.gdb_address.rsplit(":", 1)[1])) as rsp:
            assert not rsp.found_running, "the pull let the paused guest run"
            assert rsp.read_register("pc") == pc


def test_probe_errors_are_one_line_without_traceback(tmp_path):
    cases: List[tuple] = [
        (["--probe", "gdbrsp:127.0.0.1:1"], "gdbrsp:127.0.0.1:1"),  # nothing listens there
        (["--probe", "no-such-probe-uid"], "no debug probe matches"),
        (["--probe", "gdbrsp:127.0.0.1:1", "--pack", str(tmp_path / "x.pack")],
         "does not exist"),
        (["--probe", "gdbrsp:127.0.0.1:1", "--board", "nope"], "unknown board"),
    ]
    for extra, words in cases:
        done = cli("dump", "pull", "-o", str(tmp_path / "f"), *extra, ok=False)
        assert done.returncode in (1, 2), done
        assert words in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("error: "), done.stderr


PDSC = """<?xml version="1.0" encoding="UTF-8"?>
<package schemaVersion="1.7.7">
  <vendor>Crashdump</vendor>
  <name>Test_DFP</name>
  <description>The QEMU board as a CMSIS device, for a local-pack test</description>
  <url>http://localhost/</url>
  <releases><release version="1.0.0">test</release></releases>
  <devices>
    <family Dfamily="crashdump test" Dvendor="ARM:82">
      <processor Dcore="{core}" DcoreVersion="r0p0" Dfpu="NO_FPU" Dendian="Little-endian"/>
      <device Dname="CDTEST">
        <debug __ap="0"/>
        <memory name="IROM1" access="rx" start="0x{rom:08X}" size="0x{rom_size:X}" startup="1"
                default="1"/>
        <memory name="IRAM1" access="rw" start="0x{ram:08X}" size="0x1000" default="1"/>
      </device>
    </family>
  </devices>
</package>
"""
CORES = {"v6m": "Cortex-M0", "v7m": "Cortex-M3", "v7em": "Cortex-M4", "v8mmain": "Cortex-M33"}


def test_probe_pull_with_a_local_cmsis_pack(gdb_emu, board, elf, tmp_path):
    """A target pyOCD lacks, described by a local pack (made here from the ELF's
    memory map): no network, no ELF given; the pack's IROM is scanned."""
    import zipfile
    from crashdump.decode.elf import Elf
    from crashdump.harness.emulate import get_board
    with Elf(elf) as image:
        rom = image.address_of("cm_core_vectors")
        rom_end = image.address_of("__cd_dump_end")
        ram = image.address_of("__stack_limit")
    pack = tmp_path / "Crashdump.Test_DFP.1.0.0.pack"
    with zipfile.ZipFile(pack, "w") as z:
        z.writestr("Crashdump.Test_DFP.pdsc", PDSC.format(
            core=CORES[get_board(board).arch], rom=rom, rom_size=rom_end - rom, ram=ram))
    with Client.open(gdb_emu.serial_url, timeout=5.0) as dev:
        dev.fault(FAULT_BAD_READ)
    cli("--port", gdb_emu.serial_url, "dump", "pull", "-o", str(tmp_path / "serial.cdmp"))
    doc = probe_pull(gdb_emu, tmp_path / "pack.cdmp", "--target", "cdtest", "--pack", str(pack))
    assert doc["partition"].startswith("flash region IROM1 of cdtest"), doc
    assert (tmp_path / "pack.cdmp").read_bytes() == (tmp_path / "serial.cdmp").read_bytes()


def test_probe_pull_refuses_a_corrupted_dump(gdb_emu, board, elf, tmp_path):
    """One bit of the dump body flipped in flash through pyOCD itself: the pull
    names the slot as corrupt, writes nothing and exits non-zero."""
    from crashdump.probe.session import ProbeSession
    with Client.open(gdb_emu.serial_url, timeout=5.0) as dev:
        dev.fault(FAULT_BAD_READ)
        status = dev.dump_status()
    slot = next(s for s in status.slots if s.state == 1)
    victim = status.partition_base + slot.index * status.slot_size + slot.total_len - 4
    with ProbeSession(f"gdbrsp:{gdb_emu.gdb_address}") as s:
        word = s._target.read32(victim)  # noqa: SLF001
        s._target.write32(victim, word ^ 1)  # noqa: SLF001
    still_running(gdb_emu)
    done = cli("dump", "pull", "--probe", f"gdbrsp:{gdb_emu.gdb_address}", "--elf", str(elf),
               "-o", str(tmp_path / "bad.cdmp"), ok=False)
    assert done.returncode == 1, done
    assert "no valid dump; 1 corrupt" in done.stderr and "body CRC" in done.stderr, done.stderr
    assert not (tmp_path / "bad.cdmp").exists()
    still_running(gdb_emu)
