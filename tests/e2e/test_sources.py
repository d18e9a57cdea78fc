# SPDX-License-Identifier: Apache-2.0
"""Data sources, self ring and triage list through the Python API against the
demo firmware running in QEMU."""
from __future__ import annotations

import os
import time
import uuid

import pytest
from elftools.elf.elffile import ELFFile

from crashdump import DeviceError
from crashdump.decode.elf import Elf
from crashdump.protocol.wire import Caps


def elf_build_id(path) -> bytes:
    with open(path, "rb") as f:
        for sec in ELFFile(f).iter_sections():
            if sec.header["sh_type"] == "SHT_NOTE":
                for note in sec.iter_notes():
                    if note["n_type"] == "NT_GNU_BUILD_ID":
                        return bytes.fromhex(note["n_desc"])
    raise AssertionError("no build-id")


def wait_for_self_records(dev, timeout=3.0):
    """The demo writes a self record every 100 ms from SysTick."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = dev.self_capture().records
        if records:
            return records
        time.sleep(0.05)
    raise AssertionError("the demo wrote no self records")


def test_info_describes_the_firmware(dev, elf):
    info = dev.info()
    assert info.proto_version == 1
    assert info.name == "crashdump-demo"
    assert info.build_id == elf_build_id(elf)
    assert Caps.SOURCES in info.caps and Caps.RESET in info.caps
    assert info.source_used == 0 and info.source_max >= 2
    assert info.boot_count == 1


def test_create_write_read_capture_destroy(dev):
    src = dev.source_create("e2e-basic", item_size=16, count=4)
    assert src.label == "e2e-basic" and src.item_size == 16 and src.count == 4
    assert src.head_seq == 0 and src.oldest_seq == 0
    payloads = [b"one", b"two!", b"x" * 16, b"four", b"five", b"six"]
    seqs = [dev.source_write("e2e-basic", p) for p in payloads]
    assert seqs == list(range(6))

    cap = dev.source_capture("e2e-basic")
    # 4 slots: the two oldest were overwritten, the rest come back oldest first
    assert [(r.seq, r.data) for r in cap.records] == list(zip(range(2, 6), payloads[2:]))
    assert cap.lost == 2
    # capture does not consume
    assert [r.data for r in dev.source_capture("e2e-basic").records] == payloads[2:]

    first = dev.source_read("e2e-basic", max_items=1)
    assert [(r.seq, r.data) for r in first.records] == [(2, b"x" * 16)]
    assert first.lost == 2
    rest = dev.source_read("e2e-basic")
    assert [r.data for r in rest.records] == payloads[3:] and rest.lost == 0
    assert dev.source_read("e2e-basic").records == []

    listed = dev.source_list()
    assert [s.label for s in listed] == ["e2e-basic"]
    dev.source_destroy("e2e-basic")
    assert dev.source_list() == []
    with pytest.raises(DeviceError) as e:
        dev.source_open("e2e-basic")
    assert e.value.name == "UNKNOWN_SOURCE"


def test_explicit_guid_and_reattach(dev):
    guid = uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")
    dev.source_create(guid, item_size=8, count=2, label="g")
    dev.source_write(guid, b"keep")
    again = dev.source_create(guid, item_size=8, count=2, label="g")
    assert again.flags & 1  # re-attached, data kept
    assert [r.data for r in dev.source_capture(guid).records] == [b"keep"]
    assert dev.source_open(guid).guid == guid


def test_capture_64k(dev):
    info = dev.info()
    item = 1024
    count = 64
    if item > info.item_max or count * (4 + item) > info.ring_max_bytes:
        pytest.skip(f"a 64 KiB ring does not fit this board ({info.ring_max_bytes} bytes a source)")
    dev.source_create("bulk", item_size=item, count=count)
    blobs = [os.urandom(item) for _ in range(count)]
    for b in blobs:
        dev.source_write("bulk", b)
    cap = dev.source_capture("bulk")
    assert cap.gaps == []
    assert [r.seq for r in cap.records] == list(range(count))
    assert b"".join(r.data for r in cap.records) == b"".join(blobs)
    assert sum(len(r.data) for r in cap.records) == 64 * 1024


def test_records_survive_warm_reset(dev):
    dev.source_create("persist", item_size=32, count=8)
    for i in range(5):
        dev.source_write("persist", f"record {i}".encode())
    dev.source_read("persist", max_items=2)  # consumed items stay consumed
    self_before = wait_for_self_records(dev)
    boots = dev.info().boot_count

    dev.reset()

    info = dev.info()
    assert info.boot_count == boots + 1
    cap = dev.source_capture("persist")
    assert [(r.seq, r.data) for r in cap.records] == [(i, f"record {i}".encode()) for i in range(2, 5)]
    src = dev.source_create("persist", item_size=32, count=8)
    assert src.flags & 1 and src.head_seq == 5
    # every self record from before the reset is still held, bit-exact
    after = {r.seq: r.data for r in dev.self_capture().records}
    kept = [r for r in self_before if r.seq in after]
    assert kept and all(after[r.seq] == r.data for r in kept)
    assert min(after) <= self_before[-1].seq


def test_self_read_is_destructive(dev):
    wait_for_self_records(dev)
    got = dev.self_read()
    assert got.records
    seqs = [r.seq for r in got.records]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    again = dev.self_read()
    assert all(r.seq > seqs[-1] for r in again.records)


def test_triage_list_names_a_ram_range(dev, elf):
    ranges = dev.triage_list()
    assert ranges, "the demo registers a triage range"
    # each range lies inside a data object of the firmware (RAM is board-specific)
    symbols = Elf(elf)
    for r in ranges:
        sym = symbols.symbol_at(r.addr, "object")
        assert r.len > 0 and sym is not None and r.addr + r.len <= sym.addr + sym.size, r
