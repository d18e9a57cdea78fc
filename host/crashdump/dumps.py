# SPDX-License-Identifier: Apache-2.0
"""Crash dump operations over the protocol: status, chunked pull with resume
and verification, erase, fault injection. Built on Client.request(); the
Client methods dump_status/dump_read/dump_erase/fault call into here.
"""
from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, List, Optional

from .errors import DumpFormatError, ProtocolError, TransportTimeoutError
from .formats import (CRASH_MAGIC, CRASH_RECORD, CRASH_RECORD_CRC_LEN, ERASE_F_FORCE,
                      FRAME_OVERHEAD, WIRE_DUMP_ERASE, WIRE_DUMP_READ, WIRE_DUMP_STATUS,
                      WIRE_FAULT, WIRE_SLOT, DumpCmd, SlotState)

if TYPE_CHECKING:
    from .client import Client
    from .dump import Dump

# .dump (the dump file parser) is imported by the functions that parse a dump:
# it is the largest module on the way, and most commands never need it.

ProgressFn = Callable[[int, int], None]


@dataclass(frozen=True)
class SlotInfo:
    index: int
    state: SlotState
    total_len: int
    crash_count: int
    reason: int
    code: int
    body_crc: int
    flags: int


@dataclass(frozen=True)
class CrashRecord:
    crash_count: int
    consecutive: int
    reason: int
    code: int
    pc: int
    lr: int
    stage: int
    result: int
    slot: Optional[int]


@dataclass(frozen=True)
class DumpStatus:
    partition_base: int
    slot_size: int
    dropped: int
    record: Optional[CrashRecord]
    slots: List[SlotInfo] = field(default_factory=list)


def parse_crash_record(raw: bytes) -> Optional[CrashRecord]:
    """A cd_crash_record_t, or None if its magic or CRC does not match."""
    if len(raw) != CRASH_RECORD.size:
        raise ProtocolError(f"crash record has {len(raw)} bytes, expected {CRASH_RECORD.size}")
    f = CRASH_RECORD.unpack(raw)
    if f["magic"] != CRASH_MAGIC or zlib.crc32(raw[:CRASH_RECORD_CRC_LEN]) != f["crc"]:
        return None
    slot = None if f["slot"] == 0xFFFFFFFF else f["slot"]
    return CrashRecord(f["crash_count"], f["consecutive"], f["reason"], f["code"], f["pc"],
                       f["lr"], f["stage"], f["result"], slot)


def parse_dump_status(payload: bytes) -> DumpStatus:
    if len(payload) < WIRE_DUMP_STATUS.size:
        raise ProtocolError(f"DUMP_STATUS reply has {len(payload)} bytes, shorter than its "
                            f"{WIRE_DUMP_STATUS.size}-byte header")
    f = WIRE_DUMP_STATUS.unpack(payload[:WIRE_DUMP_STATUS.size])
    n = f["n_slots"]
    expected = WIRE_DUMP_STATUS.size + n * WIRE_SLOT.size
    if len(payload) != expected:
        raise ProtocolError(f"DUMP_STATUS reply has {len(payload)} bytes, expected {expected} "
                            f"for {n} slots")
    slots = []
    for i in range(n):
        pos = WIRE_DUMP_STATUS.size + i * WIRE_SLOT.size
        s = WIRE_SLOT.unpack(payload[pos:pos + WIRE_SLOT.size])
        try:
            state = SlotState(s["state"])
        except ValueError:
            raise ProtocolError(f"slot {i} has unknown state {s['state']}") from None
        slots.append(SlotInfo(i, state, s["total_len"], s["crash_count"], s["reason"],
                              s["code"], s["body_crc"], s["flags"]))
    record = parse_crash_record(f["record"]) if f["record_valid"] else None
    return DumpStatus(f["partition_base"], f["slot_size"], f["dropped"], record, slots)


def dump_status(client: "Client") -> DumpStatus:
    return parse_dump_status(client.request(DumpCmd.DUMP_STATUS))


def chunk_size(client: "Client") -> int:
    frame_max = client.frame_max or client.info().frame_max
    return max(16, frame_max - FRAME_OVERHEAD)


def dump_read(client: "Client", slot: int, offset: int, length: int) -> bytes:
    payload = client.request(DumpCmd.DUMP_READ,
                             WIRE_DUMP_READ.pack(slot=slot, offset=offset, len=length))
    if len(payload) > length:
        raise ProtocolError(f"asked for {length} bytes at offset {offset}, got {len(payload)}")
    return payload


def dump_erase(client: "Client", slot: int, body_crc: int, force: bool = False) -> None:
    payload = client.request(DumpCmd.DUMP_ERASE, WIRE_DUMP_ERASE.pack(
        slot=slot, flags=ERASE_F_FORCE if force else 0, body_crc=body_crc))
    if payload:
        raise ProtocolError(f"DUMP_ERASE reply has {len(payload)} bytes, expected none")


@dataclass(frozen=True)
class Pulled:
    slot: int
    path: Path
    dump: Dump
    size: int
    resumed_from: int
    seconds: float


def pull_slot(client: "Client", slot: SlotInfo, path: Path,
              progress: Optional[ProgressFn] = None) -> Pulled:
    """Reads slot.total_len bytes into path, verifying the dump before it is
    written. A `path.part` left by an interrupted pull is continued from its
    length when its bytes are a prefix of this dump (same header, same body CRC)."""
    from .dump import parse_dump
    start = time.monotonic()
    total = slot.total_len
    part = path.with_name(path.name + ".part")
    data = bytearray()
    if part.exists():
        old = part.read_bytes()
        if len(old) >= 128 and len(old) <= total and _same_dump(old[:128], slot):
            data += old
    resumed = len(data)
    step = chunk_size(client)
    with open(part, "ab" if resumed else "wb") as out:
        while len(data) < total:
            chunk = dump_read(client, slot.index, len(data), min(step, total - len(data)))
            if not chunk:
                raise ProtocolError(f"slot {slot.index} returned no bytes at offset "
                                    f"{len(data)} of {total}")
            data += chunk
            out.write(chunk)
            out.flush()
            if progress:
                progress(len(data), total)
    try:
        dump = parse_dump(bytes(data))
    except DumpFormatError:
        part.unlink()  # a bad prefix must not be resumed from again
        raise
    path.write_bytes(bytes(data))
    part.unlink()
    return Pulled(slot.index, path, dump, total, resumed, time.monotonic() - start)


def _same_dump(hdr: bytes, slot: SlotInfo) -> bool:
    from .dump import parse_header
    try:
        h = parse_header(hdr)
    except DumpFormatError:
        return False
    return h.total_len == slot.total_len and h.body_crc == slot.body_crc


def verified_body_crc(path: Path) -> int:
    """The body CRC of a pulled dump file, after checking the whole file."""
    from .dump import parse_dump
    return parse_dump(path.read_bytes()).header.body_crc


def inject_fault(client: "Client", kind: int, wait: float = 10.0) -> float:
    """Sends CD_CMD_FAULT. The device may answer OK first or crash without
    answering; either way, polls INFO until it answers again (after its reset)
    and returns the seconds that took."""
    start = time.monotonic()
    try:
        client.request(DumpCmd.FAULT, WIRE_FAULT.pack(kind=kind), timeout=0.5)
    except TransportTimeoutError:
        pass  # expected: the device crashed before answering
    client._decoder.reset()  # noqa: SLF001 -- drop partial frames from before the crash
    client._wait_ready(start + wait)  # noqa: SLF001
    return time.monotonic() - start


def slot_path(base: Path, slot: int, n_pulled: int) -> Path:
    """Where a pulled slot goes: FILE itself when one dump is pulled; when
    several are, FILE's name with -slotN before its extension (crash.cdmp ->
    crash-slot0.cdmp, crash-slot1.cdmp), so the extension stays and the glob
    crash*.cdmp finds the dumps whatever their number."""
    if n_pulled == 1:
        return base
    return base.with_name(f"{base.stem}-slot{slot}{base.suffix}")


__all__ = ["CrashRecord", "DumpStatus", "Pulled", "SlotInfo", "dump_erase", "dump_read",
           "dump_status", "inject_fault", "parse_crash_record", "parse_dump_status",
           "pull_slot", "slot_path", "verified_body_crc"]
