# SPDX-License-Identifier: Apache-2.0
"""crashdump.harness.collect: dumps pulled over the protocol (fake device) and through
the gdbrsp probe (fake GDB stub), written and decoded, each reported once."""
from __future__ import annotations

import json
from pathlib import Path
import pytest

from crashdump import Client
from crashdump.dumpfile.parse import parse_dump
from crashdump.errors import CrashdumpError, ProbeError
from crashdump.harness.collect import Collector, safe_name

from .fake_rsp import FakeRspServer, FakeStub
from .test_dump_cli import DumpDevice

AN385_PARTITION = 0x003E0000  # BOARD_PARTITIONS["qemu-mps2-an385"], 4 KiB erase units


@pytest.fixture
def device() -> DumpDevice:
    """conftest's `client` talks to this device."""
    return DumpDevice()


def test_safe_name() -> None:
    assert safe_name("tests/test_app.py::test_boot[qemu-mps2-an385]") == \
        "tests_test_app.py_test_boot_qemu-mps2-an385"
    assert safe_name("::") == "crash"
    assert len(safe_name("x" * 300)) == 80


def test_pull_writes_dump_and_reports_once(client: Client, device: DumpDevice,
                                           tmp_path: Path) -> None:
    collector = Collector(tmp_path / "out")
    crashes = collector.from_client(client, "Suite-Boot Test")
    assert [c.slot for c in crashes] == [0, 2]
    for crash in crashes:
        assert crash.path.read_bytes() == device.slots[crash.slot]
        assert crash.path.name == f"Suite-Boot_Test-slot{crash.slot}.cdmp"
        assert crash.report_path.read_text() == crash.text + "\n"
        assert crash.text.startswith(f"crash: {crash.summary}")
        doc = json.loads(crash.json_path.read_text())
        assert doc["summary"] == crash.summary
        assert doc["header"]["crash_count"] == crash.dump.header.crash_count
        assert "no ELF" in " ".join(doc["warnings"])
    assert crashes[0].summary != crashes[1].summary or \
        crashes[0].dump.header.crash_count != crashes[1].dump.header.crash_count
    # the same dumps, still on the device, are not reported again...
    assert collector.from_client(client, "Suite-Boot Test") == []
    assert device.erased == []
    # ...but a new collector reports them, in files of their own
    again = Collector(tmp_path / "out").from_client(client, "Suite-Boot Test")
    assert [c.path.name for c in again] == ["Suite-Boot_Test-slot0-2.cdmp",
                                            "Suite-Boot_Test-slot2-2.cdmp"]


def test_erase_after_pull_proves_the_copy(client: Client, device: DumpDevice,
                                          tmp_path: Path) -> None:
    crashes = Collector(tmp_path).from_client(client, "t", erase=True)
    crcs = [parse_dump(d).header.body_crc for d in device.slots if d]
    assert device.erased == [(0, 0, crcs[0]), (2, 0, crcs[1])]
    assert [c.dump.header.body_crc for c in crashes] == crcs


def test_a_corrupt_dump_is_an_error_naming_the_slot(client: Client, device: DumpDevice,
                                                    tmp_path: Path) -> None:
    bad = bytearray(device.slots[2] or b"")
    bad[-5] ^= 1
    device.slots[2] = bytes(bad)
    with pytest.raises(CrashdumpError, match="CRC") as e:
        Collector(tmp_path).from_client(client, "t")
    assert e.value.operation == "dump pull slot 2"


def test_missing_elf_is_a_clear_error(client: Client, tmp_path: Path) -> None:
    with pytest.raises(CrashdumpError, match=r"ELF .*nope.elf does not exist"):
        Collector(tmp_path, elf=tmp_path / "nope.elf").from_client(client, "t")


def _stub_with_dumps(device: DumpDevice) -> FakeStub:
    stub = FakeStub()
    flash = bytearray(b"\xff" * 128 * 1024)
    for i, data in enumerate(device.slots):
        if data:
            flash[i * 4096:i * 4096 + len(data)] = data
    stub.memory[AN385_PARTITION] = flash
    return stub


def test_probe_reads_the_same_dumps_and_knows_them(client: Client, device: DumpDevice,
                                                   tmp_path: Path) -> None:
    collector = Collector(tmp_path)
    with FakeRspServer(_stub_with_dumps(device)) as server:
        crashes = collector.from_probe(f"gdbrsp:{server.address}", "probe test",
                                       board="qemu-mps2-an385")
        assert [(c.slot, c.path.read_bytes()) for c in crashes] == \
            [(0, device.slots[0]), (1, device.slots[2])]  # the scan numbers what it finds
        assert all(c.path.name.startswith("probe_test-slot") for c in crashes)
        # the serial path sees nothing new
        assert collector.from_client(client, "serial") == []
        assert server.stub.running  # left as found


def test_probe_errors(tmp_path: Path) -> None:
    with pytest.raises(CrashdumpError, match="unknown board 'nope'"):
        Collector(tmp_path).from_probe("gdbrsp:127.0.0.1:1", "t", board="nope")
    with FakeRspServer() as server:
        server.close()
        with pytest.raises(ProbeError):
            Collector(tmp_path).from_probe(f"gdbrsp:{server.address}", "t",
                                           board="qemu-mps2-an385")
