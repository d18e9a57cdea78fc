# SPDX-License-Identifier: Apache-2.0
"""CLI: `dump status|pull|erase`, `decode`, `fault --list`, with a fake device."""
from __future__ import annotations

import json
import re
import struct
import zlib
from pathlib import Path
from typing import Iterator, List, Optional, Tuple

import pytest

from crashdump.cli import main
from crashdump.dumpfile.build import build_dump, build_ring
from crashdump.dumpfile.parse import FaultRegs, MemBlock, Regs, parse_dump, parse_header
from crashdump.errors import DumpFormatError
from crashdump.protocol.wire import (CRASH_MAGIC, CRASH_RECORD, WIRE_DUMP_ERASE, WIRE_DUMP_READ,
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
    # the summary: the ring's newest 3 records, a line naming the sections not shown
    assert "  'ring': 32 records, head #40" in out and "#39" in out and "#36" not in out
    assert out.splitlines()[-1] == ("more with --sections all (or NAME,...): registers, "
                                    "rings (32 records)")
    code, out, _ = run(capsys, "decode", str(f), "--json")
    doc = json.loads(out)
    assert doc["rings"][0]["overwritten_unread_since_last_read"] == 8
    assert doc["header"]["crash_count"] == 5
    assert len(doc["rings"][0]["records"]) == 32 and doc["damaged"] == []
    assert doc["file"] == str(f) and len(doc["signature"]["hash"]) == 8


def test_decode_sections_and_records(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    f = tmp_path / "d.cdmp"
    f.write_bytes(make_dump(5))
    code, out, err = run(capsys, "decode", str(f), "--sections", "registers,rings")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "registers:" and "crash:" not in out and "more with" not in out
    i = lines.index("ring 'ring': 32 records, head #40, lost 0, overwritten unread 8")
    assert lines[i + 1] == "  ... 22 older records not shown (--records all)"
    assert [x.split()[0] for x in lines[i + 2:]] == [f"#{n}" for n in range(30, 40)]
    code, out, _ = run(capsys, "decode", str(f), "--sections", "rings", "--records", "all")
    assert "older records" not in out and len(out.splitlines()) == 1 + 32
    code, out, _ = run(capsys, "decode", str(f), "--sections", "rings", "--records", "0")
    assert out.splitlines()[1] == "  ... 32 older records not shown (--records all)"
    code, out, _ = run(capsys, "decode", str(f), "--sections", "all")
    for heading in ("crash: ", "registers:", "ring 'ring'"):
        assert heading in out
    assert "more with" not in out
    for bad in (["--sections", "summary,nope"], ["--records", "-1"], ["--records", "x"],
                ["--sections", "summary", "--oneline"]):
        code, _, err = run(capsys, "decode", str(f), *bad)
        assert code == 2 and err.count("error: ") == 1, (bad, err)


def test_long_records_keep_the_hex_column_aligned(capsys: pytest.CaptureFixture,
                                                  tmp_path: Path) -> None:
    """Records of any length, sequence numbers of any width (here 99998 ->
    100003): the hex column and the printable column each start at one place,
    long records continue below the hex column."""
    f = tmp_path / "d.cdmp"
    items = [b"a" * n for n in (0, 1, 15, 16, 17, 40, 64)]
    f.write_bytes(build_dump(rings=[build_ring(items, item_size=64, count=8,
                                               start_seq=99997)]))
    for sections in ("rings", "summary"):
        code, out, err = run(capsys, "decode", str(f), "--sections", sections)
        assert code == 0, err
        rows = [x for x in out.splitlines() if x.endswith("|") or "| +" in x]
        full = sections == "rings"
        assert len(rows) == (sum(max(1, -(-len(i) // 16)) for i in items) if full else 3)
        hex_at = set()
        for row in rows:
            head = re.match(r"\s*#\d+\s+\d+  |\s+", row)
            assert head is not None, row
            hex_at.add(head.end())
        assert len(hex_at) == 1 and len({x.index("|") for x in rows}) == 1, out
    assert "#100003" in out and "+48 bytes" in out


@pytest.mark.parametrize("content,message", [
    (b"", "error: decode {f}: not a crash dump: magic is nothing"),
    (b"\x7fELF" + bytes(300), "error: decode {f}: not a crash dump: magic is 7f454c46"),
    ("header", "error: decode {f}: header CRC mismatch"),
])
def test_decode_errors_are_one_line(capsys: pytest.CaptureFixture, tmp_path: Path,
                                    content: object, message: str) -> None:
    f = tmp_path / "bad.cdmp"
    good = make_dump(1)
    if content == "header":
        data = good[:20] + bytes([good[20] ^ 1]) + good[21:]
    else:
        data = content  # type: ignore[assignment]
    f.write_bytes(data)
    code, out, err = run(capsys, "decode", str(f))
    assert code == 1 and out == ""
    assert err.startswith(message.format(f=f)), err
    assert "Traceback" not in err and " at offset " in err.splitlines()[0]


@pytest.mark.parametrize("damage", ["ring", "truncated"])
def test_damaged_dump_decodes_the_rest_and_exits_1(capsys: pytest.CaptureFixture,
                                                   tmp_path: Path, damage: str) -> None:
    good = make_dump(1)
    d = parse_dump(good)
    ring = next(s for s in d.sections if s.type_name == "RING")
    bad = bytearray(good)
    if damage == "ring":
        bad[ring.offset + 12 + 100] ^= 0x10     # one record's byte
    else:
        bad = bad[:ring.offset + 40]            # the ring section cut short
    f = tmp_path / "bad.cdmp"
    f.write_bytes(bytes(bad))
    code, out, err = run(capsys, "decode", str(f), "--sections", "all")
    assert code == 1
    assert out.startswith("crash: HardFault: divide by zero")  # cause and registers intact
    assert "registers:" in out and "r0 00000001" in out and "ring 'ring'" not in out
    index = d.sections.index(ring)
    if damage == "ring":
        assert f"damaged: section {index} (RING, {12 + len(ring.data)} bytes at offset " \
            f"{ring.offset}): CRC mismatch: not decoded" in out
        assert err.startswith(f"error: decode {f}: damaged, not decoded: section {index} RING;")
    else:
        assert "damaged: end of the dump" in out and f"damaged: sections {index}.." in out
    assert "\nhint: " in err and "Traceback" not in err
    code, out, err = run(capsys, "decode", str(f), "--json")
    doc = json.loads(out)
    assert code == 1 and doc["damaged"] and doc["registers"]["r0"] == "0x00000001"
    assert doc["rings"] == [] and "damaged" in err
    # pull and erase keep refusing such a file
    with pytest.raises(DumpFormatError):
        parse_dump(bytes(bad))


def test_decode_many_files_and_directories(capsys: pytest.CaptureFixture,
                                           tmp_path: Path) -> None:
    for n in (1, 2, 3):
        (tmp_path / f"c{n}.cdmp").write_bytes(make_dump(n))
    (tmp_path / "c4.cdmp.part").write_bytes(make_dump(4)[:300])   # an unfinished pull
    (tmp_path / "notes.txt").write_text("not a dump")
    other = tmp_path / "sub"
    other.mkdir()
    (other / "x.bin").write_bytes(make_dump(7))
    code, out, err = run(capsys, "decode", str(tmp_path), str(other / "x.bin"))
    assert code == 0, err
    heads = [x for x in out.splitlines() if x.startswith("==> ")]
    assert heads == [f"==> {tmp_path / f'c{n}.cdmp'} <==" for n in (1, 2, 3)] + \
        [f"==> {other / 'x.bin'} <=="]
    assert out.count("crash: HardFault") == 4
    code, out, _ = run(capsys, "decode", str(tmp_path), "--oneline")
    lines = out.splitlines()
    assert len(lines) == 3 and all(x.split()[0].endswith(f"c{n}.cdmp")
                                   for n, x in zip((1, 2, 3), lines))
    # make_dump(n) differs only in values: one signature
    assert len({x.split()[1] for x in lines}) == 1
    assert lines[0].split(None, 2)[2] == "build none      HardFault DIVBYZERO  in 0x00000200"
    code, out, _ = run(capsys, "decode", str(tmp_path), "--oneline", "--json")
    docs = json.loads(out)["dumps"]
    assert [d["signature"]["cause"] for d in docs] == ["HardFault DIVBYZERO"] * 3
    # one bad file: the others are still decoded, the exit code says it
    (tmp_path / "c2.cdmp").write_bytes(b"CDMP" + bytes(10))
    code, out, err = run(capsys, "decode", str(tmp_path), "--oneline")
    assert code == 1 and len(out.splitlines()) == 2
    assert err.startswith(f"error: decode {tmp_path / 'c2.cdmp'}: truncated")
    code, out, _ = run(capsys, "decode", str(tmp_path), "--json")
    docs = json.loads(out)["dumps"]
    assert code == 1 and "error" in docs[1] and docs[2]["header"]["crash_count"] == 3
    code, _, err = run(capsys, "decode", str(other / ".."), str(tmp_path / "empty"))
    assert code == 2 and "cannot read" in err
    (tmp_path / "empty").mkdir()
    code, _, err = run(capsys, "decode", str(tmp_path / "empty"))
    assert code == 2 and "no dump files in" in err


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
