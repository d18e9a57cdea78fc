# SPDX-License-Identifier: Apache-2.0
"""The DUMP_STATUS reply: the device's dump slots and its last crash record
(docs/protocol.md, "Crash dumps"). Client.dump_status() returns it parsed.
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import List, Optional

from ..errors import ProtocolError
from .wire import (CRASH_MAGIC, CRASH_RECORD, CRASH_RECORD_CRC_LEN, WIRE_DUMP_STATUS, WIRE_SLOT,
                   SlotState)


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


__all__ = ["CrashRecord", "DumpStatus", "SlotInfo", "parse_crash_record", "parse_dump_status"]
