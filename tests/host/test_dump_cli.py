# SPDX-License-Identifier: Apache-2.0
"""CLI: `dump status|pull|erase`, `decode`, `fault --list`, with a fake device."""
from __future__ import annotations

import json
import struct
import zlib
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from crashdump.cli import main
from crashdump.dump import FaultRegs, MemBlock, Regs, parse_dump, parse_header
from crashdump.dump_build import build_dump, build_ring
from crashdump.formats import (CRASH_MAGIC, CRASH_RECORD, WIRE_DUMP_ERASE, WIRE_DUMP_READ,
                               WIRE_DUMP_STATUS, WIRE_SLOT)

from .fake_device import FakeDevice, FakeServer

SLOT_SIZE = 4096


def make_dump(n: int) -> bytes:
    return build_dump(regs=Regs(r=(n,) * 13, sp=0x20000F00, lr=0x101, pc=0x200, xpsr=0),
                      fault=FaultRegs(cfsr=1 << 25), crash_count=n,
                      stack=MemBlock(0x20000F00, bytes(range(256)) * 4),
                      rings=[build_ring([b"log %d" % i for i in range(40)], item_size=16,
                                        count=32)])


class DumpDevice(FakeDevice):
    """FakeDevice plus the dump commands: slot 0 and 2 hold dumps, 1 is empty."""

    def __init__(self) -> None:
        super().__init__(frame_max=512)
        self.slots: List[Optional[bytes]] = [make_dump(1), None, make_dump(3)]
        self.reads: List[Tuple[int, int, int]] = []
        self.erased: List[Tuple[int, int, int]] = []

    def handle(self, cmd: int, p: bytes) -> Tuple[int, bytes]:
        if cmd == 0x40:
            rec = CRASH_RECORD.pack(magic=CRASH_MAGIC, crash_count=3, consecutive=2, reason=1,
                                    code=6, pc=0x200, lr=0x101, stage=0, result=0, slot=2, crc=0)
            rec = rec[:40] + struct.pack("<I", zlib.crc32(rec[:40]))
            out = WIRE_DUMP_STATUS.pack(partition_base=0x00300000, slot_size=SLOT_SIZE,
                                        n_slots=len(self.slots), record_valid=1, dropped=0,
                                        record=rec)
            for d in self.slots:
                h = parse_header(d) if d else None
                out += WIRE_SLOT.pack(state=1 if h else 0, total_len=h.total_len if h else 0,
                                      crash_count=h.crash_count if h else 0, reason=1 if h else 0,
                                      code=3 if h else 0, body_crc=h.body_crc if h else 0,
                                      flags=0)
            return 0, out
        if cmd == 0x41:
            f = WIRE_DUMP_READ.unpack(p)
            self.reads.append((f["slot"], f["offset"], f["len"]))
            data = (self.slots[f["slot"]] or b"").ljust(SLOT_SIZE, b"\xff")
            return 0, data[f["offset"]:f["offset"] + f["len"]]
        if cmd == 0x42:
            f = WIRE_DUMP_ERASE.unpack(p)
            self.erased.append((f["slot"], f["flags"], f["body_crc"]))
            return 0, b""
        return super().handle(cmd, p)


@pytest.fixture
def dev() -> Iterator[Tuple[DumpDevice, FakeServer]]:
    device = DumpDevice()
    server = FakeServer(device)
    try:
        yield device, server
    finally:
        server.close()


def run(capsys: pytest.CaptureFixture, *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_status(capsys: pytest.CaptureFixture, dev: Tuple[DumpDevice, FakeServer]) -> None:
    code, out, err = run(capsys, "--port", dev[1].url, "dump", "status")
    assert code == 0, err
    assert "3 slots of 4096 bytes" in out and "   1  empty" in out
    assert "last crash: #3 (2 in a row), fault 0x6" in out and "in slot 2" in out
    code, out, _ = run(capsys, "--port", dev[1].url, "--json", "dump", "status")
    doc = json.loads(out)
    assert [s["state"] for s in doc["slots"]] == ["valid", "empty", "valid"]


def test_pull_all_valid_slots_then_resume(capsys: pytest.CaptureFixture, tmp_path: Path,
                                          dev: Tuple[DumpDevice, FakeServer]) -> None:
    device, server = dev
    out_file = tmp_path / "crash.cdmp"
    code, out, err = run(capsys, "--port", server.url, "dump", "pull", "-o", str(out_file))
    assert code == 0, err
    assert (tmp_path / "crash-slot0.cdmp").read_bytes() == device.slots[0]
    assert (tmp_path / "crash-slot2.cdmp").read_bytes() == device.slots[2]
    assert sorted(p.name for p in tmp_path.glob("crash*.cdmp")) == ["crash-slot0.cdmp",
                                                                   "crash-slot2.cdmp"]
    assert "verified" in out and "bytes in" in out
    assert all(length <= 512 - 8 for _, _, length in device.reads)
    total = len(device.slots[2] or b"")
    assert sum(n for s, _, n in device.reads if s == 2) == total  # only total_len bytes
    # Resume: a .part holding the first 600 bytes is continued, not re-read.
    device.reads.clear()
    single = tmp_path / "one.cdmp"
    (tmp_path / "one.cdmp.part").write_bytes((device.slots[2] or b"")[:600])
    code, out, err = run(capsys, "--port", server.url, "dump", "pull", "-o", str(single),
                         "--slot", "2")
    assert code == 0, err
    assert single.read_bytes() == device.slots[2]
    assert device.reads[0][1] == 600 and "resumed at byte 600" in out
    assert not (tmp_path / "one.cdmp.part").exists()


def test_pull_rejects_corrupt_dump_and_drops_part(capsys: pytest.CaptureFixture, tmp_path: Path,
                                                  dev: Tuple[DumpDevice, FakeServer]) -> None:
    device, server = dev
    bad = bytearray(device.slots[0] or b"")
    bad[-5] ^= 1
    device.slots[0] = bytes(bad)
    code, _, err = run(capsys, "--port", server.url, "dump", "pull", "-o",
                       str(tmp_path / "x"), "--slot", "0")
    assert code == 1
    assert err.startswith("error: dump pull slot 0: body CRC mismatch")
    assert not (tmp_path / "x").exists() and not (tmp_path / "x.part").exists()


def test_erase_needs_verified_copy_or_force(capsys: pytest.CaptureFixture, tmp_path: Path,
                                            dev: Tuple[DumpDevice, FakeServer]) -> None:
    device, server = dev
    code, _, err = run(capsys, "--port", server.url, "dump", "erase", "--slot", "0")
    assert code == 2 and "refusing to erase" in err and device.erased == []
    pulled = tmp_path / "p.cdmp"
    pulled.write_bytes(device.slots[0] or b"")
    code, out, err = run(capsys, "--port", server.url, "dump", "erase", "--slot", "0",
                         "--verified", str(pulled))
    assert code == 0, err
    assert device.erased == [(0, 0, parse_dump(pulled.read_bytes()).header.body_crc)]
    code, _, _ = run(capsys, "--port", server.url, "dump", "erase", "--slot", "2", "--force")
    assert code == 0 and device.erased[-1][:2] == (2, 1)


def test_pull_then_erase_by_glob(capsys: pytest.CaptureFixture, tmp_path: Path,
                                 dev: Tuple[DumpDevice, FakeServer]) -> None:
    """The README's flow: pull -o crash.cdmp, then erase --verified crash*.cdmp
    finds each file's slot by its body CRC, whatever the number of dumps."""
    device, server = dev
    code, out, err = run(capsys, "--port", server.url, "--json", "dump", "pull", "-o",
                         str(tmp_path / "crash.cdmp"))
    assert code == 0, err
    files = sorted(str(p) for p in tmp_path.glob("crash*.cdmp"))
    assert [d["file"] for d in json.loads(out)["pulled"]] == files
    code, out, err = run(capsys, "--port", server.url, "--json", "dump", "erase",
                         "--verified", *reversed(files))
    assert code == 0, err
    crcs = [parse_dump(Path(f).read_bytes()).header.body_crc for f in files]
    assert device.erased == [(2, 0, crcs[1]), (0, 0, crcs[0])]
    assert json.loads(out)["verified"] == [{"slot": 2, "file": files[1]},
                                           {"slot": 0, "file": files[0]}]
    # One dump on the device: -o names the file itself.
    device.slots[0] = None
    code, out, err = run(capsys, "--port", server.url, "dump", "pull", "-o",
                         str(tmp_path / "one.cdmp"))
    assert code == 0 and (tmp_path / "one.cdmp").read_bytes() == device.slots[2]


def test_erase_refuses_a_file_no_slot_holds(capsys: pytest.CaptureFixture, tmp_path: Path,
                                            dev: Tuple[DumpDevice, FakeServer]) -> None:
    device, server = dev
    f = tmp_path / "old.cdmp"
    f.write_bytes(make_dump(9))
    code, _, err = run(capsys, "--port", server.url, "dump", "erase", "--verified", str(f))
    assert code == 2 and f"no slot holds the dump in {f}" in err and device.erased == []
    code, _, err = run(capsys, "--port", server.url, "dump", "erase", "--slot", "0",
                       "--verified", str(f), str(f))
    assert code == 2 and "--slot N takes one --verified FILE" in err


def test_decode_text_and_json(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    f = tmp_path / "d.cdmp"
    f.write_bytes(make_dump(5))
    code, out, err = run(capsys, "decode", str(f))
    assert code == 0, err
    assert out.startswith("crash: HardFault: divide by zero")
    assert "ring 'ring': 32 records, head #40" in out and "#39" in out
    code, out, _ = run(capsys, "decode", str(f), "--json")
    doc = json.loads(out)
    assert doc["rings"][0]["overwritten_unread_since_last_read"] == 8
    assert doc["header"]["crash_count"] == 5


@pytest.mark.parametrize("content,message", [
    (b"", "error: decode {f}: not a crash dump: magic is nothing"),
    (b"\x7fELF" + bytes(300), "error: decode {f}: not a crash dump: magic is 7f454c46"),
    ("trunc", "error: decode {f}: truncated: the file has 700 bytes"),
    ("flip", "error: decode {f}: body CRC mismatch over bytes 128.."),
])
def test_decode_errors_are_one_line(capsys: pytest.CaptureFixture, tmp_path: Path,
                                    content: object, message: str) -> None:
    f = tmp_path / "bad.cdmp"
    good = make_dump(1)
    if content == "trunc":
        data = good[:700]
    elif content == "flip":
        data = good[:-3] + bytes([good[-3] ^ 1]) + good[-2:]
    else:
        data = content  # type: ignore[assignment]
    f.write_bytes(data)
    code, out, err = run(capsys, "decode", str(f))
    assert code == 1 and out == ""
    assert err.startswith(message.format(f=f)), err
    assert "Traceback" not in err and " at offset " in err.splitlines()[0]


def test_decode_missing_file_and_elf(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    code, _, err = run(capsys, "decode", str(tmp_path / "nope"))
    assert code == 2 and "cannot read" in err
    f = tmp_path / "d.cdmp"
    f.write_bytes(make_dump(1))
    code, _, err = run(capsys, "decode", str(f), "--elf", str(tmp_path / "fw.elf"))
    assert code == 2 and f"ELF {tmp_path / 'fw.elf'} does not exist" in err
    (tmp_path / "fw.elf").write_bytes(b"not an elf")
    code, _, err = run(capsys, "decode", str(f), "--elf", str(tmp_path / "fw.elf"))
    assert code == 1 and "is not an ELF file" in err and "Traceback" not in err


def test_fault_list(capsys: pytest.CaptureFixture) -> None:
    code, out, _ = run(capsys, "fault", "--list")
    assert code == 0 and out.splitlines()[0].startswith("bad_read")
    assert len(out.splitlines()) == 12
    code, _, err = run(capsys, "--port", "socket://127.0.0.1:1", "fault", "no_such_kind")
    assert code == 2 and "unknown fault kind" in err
