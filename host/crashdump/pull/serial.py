# SPDX-License-Identifier: Apache-2.0
"""Dumps pulled over the serial protocol: DUMP_STATUS lists the slots, DUMP_READ
reads one in chunks into FILE.part, and the dump is verified before FILE is
written. A FILE.part left by an interrupted pull is continued from its length
when its bytes are a prefix of the same dump (same header, same body CRC).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import List, Optional

from ..dumpfile.parse import parse_dump, parse_header
from ..errors import DumpFormatError, ProtocolError
from ..protocol.client import Client
from ..protocol.slots import SlotInfo
from ..protocol.wire import SlotState
from . import Offered, ProgressFn, Pulled


class SerialSource:
    """The dump slots of the device behind `client` (a DumpSource)."""

    def __init__(self, client: Client) -> None:
        self.client = client

    def slots(self) -> List[Offered]:
        return [offered(s) for s in self.client.dump_status().slots
                if s.state == SlotState.VALID]

    def pull(self, slot: Offered, path: Path, progress: Optional[ProgressFn] = None) -> Pulled:
        start = time.monotonic()
        total = slot.size
        part = path.with_name(path.name + ".part")
        data = bytearray()
        if part.exists():
            old = part.read_bytes()
            if 128 <= len(old) <= total and _same_dump(old[:128], slot):
                data += old
        resumed = len(data)
        step = self.client.dump_chunk()
        with open(part, "ab" if resumed else "wb") as out:
            while len(data) < total:
                chunk = self.client.dump_read(slot.slot, len(data),
                                              min(step, total - len(data)))
                if not chunk:
                    raise ProtocolError(f"slot {slot.slot} returned no bytes at offset "
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
        return Pulled(slot.slot, path, dump, total, resumed, time.monotonic() - start)


def offered(s: SlotInfo) -> Offered:
    """A DUMP_STATUS slot as a DumpSource offers it."""
    return Offered(s.index, s.total_len, s.crash_count, s.body_crc)


def _same_dump(hdr: bytes, slot: Offered) -> bool:
    try:
        h = parse_header(hdr)
    except DumpFormatError:
        return False
    return h.total_len == slot.size and h.body_crc == slot.body_crc


__all__ = ["SerialSource", "offered"]
