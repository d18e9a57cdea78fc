# SPDX-License-Identifier: Apache-2.0
"""The protocol client: one method per device operation (docs/protocol.md).

Client sends one request at a time, matches the response by command and id
(responses with another id are stale answers to requests that timed out, and
are skipped), raises DeviceError for a non-OK status, and returns dataclasses.
Every error raised from a method has `operation` set to what was attempted.

Noise and retries (docs/protocol.md, "Retries and duplicates"): every request
is sent after a 0x00, which ends whatever partial frame line noise left in the
device's receiver, and carries a new id plus this client's session tag. A
request without an answer is sent again, byte for byte, every
`retry_interval` seconds until the timeout; the device answers a repeat from
the response it kept instead of executing it again. RESET and FAULT are never
repeated (the device forgets what it answered when it resets), nor is any
command that changes state on a device that does not announce Caps.DEDUP.
"""
from __future__ import annotations

import contextlib
import os
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterator, List, Optional, Tuple, TypeVar, Union

from ..errors import CrashdumpError, DeviceError, ProtocolError, TransportTimeoutError
from .framing import Frame, FrameDecoder, encode_frame
from .guid import SourceRef, resolve_source
from .status import describe
from .transport import DEFAULT_BAUD, TraceHook, Transport, open_transport
from .wire import (CMD_RESPONSE, ERASE_F_FORCE, FRAME_DELIM, FRAME_OVERHEAD, WIRE_DUMP_ERASE,
                   WIRE_DUMP_READ, WIRE_FAULT, Caps, Cmd, DeviceInfo, DumpCmd, Range, Record,
                   SourceInfo, build_capture, build_create, build_page, build_read, parse_info,
                   parse_items, parse_range_list, parse_seq, parse_source, parse_source_list,
                   seq_diff)

if TYPE_CHECKING:
    from .slots import DumpStatus

DEFAULT_TIMEOUT = 2.0

# A NAME|GUID: a name, GUID text, a UUID or a resolved SourceRef.
SourceArg = Union[str, uuid.UUID, SourceRef]

# Called as progress(records_done, records_expected) while a capture runs.
ProgressFn = Callable[[int, int], None]

_SELF_GUID = uuid.UUID(int=0)  # SELF_READ/SELF_CAPTURE ignore the GUID field

# Requests whose repeat is harmless even on a device without Caps.DEDUP.
IDEMPOTENT = frozenset({Cmd.INFO, Cmd.SRC_OPEN, Cmd.SRC_CAPTURE, Cmd.SRC_LIST,
                        Cmd.SELF_CAPTURE, Cmd.TRIAGE_LIST, DumpCmd.DUMP_STATUS,
                        DumpCmd.DUMP_READ})
# Requests after which the device resets and forgets its last answer: a repeat
# would run them again.
NEVER_REPEATED = frozenset({Cmd.RESET, DumpCmd.FAULT})


def may_repeat(cmd: int, caps: Optional[Caps]) -> bool:
    """Whether a request may be sent again when its answer does not come.
    caps is None while the device's INFO has not been seen: the firmware of
    this protocol version deduplicates, so only RESET and FAULT are held back."""
    if cmd in NEVER_REPEATED:
        return False
    return cmd in IDEMPOTENT or caps is None or bool(caps & Caps.DEDUP)


_T = TypeVar("_T")


@dataclass(frozen=True)
class ReadResult:
    """What a READ removed from a ring."""

    records: List[Record]
    head_seq: int
    lost: int  # items overwritten before anyone read them, since the previous read


@dataclass(frozen=True)
class Gap:
    """Items that vanished (overwritten, or removed by a READ) between two
    requests of one capture: sequence numbers from_seq .. from_seq + count - 1."""

    from_seq: int
    count: int


@dataclass(frozen=True)
class Capture:
    """A whole ring copied without removing anything."""

    records: List[Record]
    end_seq: int   # the ring's head when the capture began; later items are not included
    lost: int      # the ring's total count of items overwritten before being read
    gaps: List[Gap] = field(default_factory=list)

    @property
    def missed(self) -> int:
        """Items lost to gaps during this capture."""
        return sum(g.count for g in self.gaps)


@contextlib.contextmanager
def _naming(operation: str) -> Iterator[None]:
    """Fills in `operation` on crashdump errors raised inside the block."""
    try:
        yield
    except CrashdumpError as e:
        if e.operation is None:
            e.operation = operation
        raise


class Client:
    """A device reached through a Transport. Not thread-safe; one request at a time."""

    def __init__(self, transport: Transport, timeout: float = DEFAULT_TIMEOUT,
                 retry_interval: Optional[float] = None) -> None:
        self.transport = transport
        self.timeout = timeout
        # How long one attempt waits before the request is sent again.
        self.retry_interval = (max(0.2, timeout / 8) if retry_interval is None
                               else retry_interval)
        self.frame_max: Optional[int] = None  # known once info() has run
        self.caps: Optional[Caps] = None      # likewise
        self.stale = 0    # responses skipped because their id or command did not match
        self.repeats = 0  # requests sent again because no answer came in retry_interval
        self._decoder = FrameDecoder()
        # Random (os.urandom: the random module costs start-up time for two numbers).
        seed = int.from_bytes(os.urandom(3), "little")
        self._next_id = seed & 0xFF
        # Sent in every request's status field (docs/protocol.md): a request of
        # another session with the same id and bytes is then not taken for a
        # repeat of ours. Positive, so it fits the signed i16 field.
        self.tag = 1 + (seed >> 8) % 0x7FFF
        # Send a 0x00 before each request. Only a bench turns it off, to
        # measure what it is worth.
        self.flush_before_request = True

    @classmethod
    def open(cls, port: str, baud: int = DEFAULT_BAUD, timeout: float = DEFAULT_TIMEOUT,
             trace: Optional[TraceHook] = None, dtr: Optional[bool] = None,
             rts: Optional[bool] = None) -> "Client":
        """Opens a port (anything pyserial's serial_for_url accepts; dtr and rts
        set those modem lines as it opens, None leaves pyserial's default)."""
        return cls(open_transport(port, baud=baud, trace=trace, dtr=dtr, rts=rts),
                   timeout=timeout)

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------ request/response

    def request(self, cmd: int, payload: bytes = b"", timeout: Optional[float] = None) -> bytes:
        """Sends one request and returns the payload of its OK response.
        Raises DeviceError for another status, TransportTimeoutError if no
        matching response arrives in time (after repeats, see the module doc)."""
        if self.frame_max is not None and len(payload) + FRAME_OVERHEAD > self.frame_max:
            raise ProtocolError(f"request of {len(payload) + FRAME_OVERHEAD} bytes exceeds the "
                                f"device's frame_max of {self.frame_max}")
        frame_id = self._next_id
        self._next_id = (frame_id + 1) & 0xFF
        wire = encode_frame(Frame(cmd, frame_id, self.tag, payload))
        if self.flush_before_request:
            wire = bytes([FRAME_DELIM]) + wire
        timeout = self.timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        attempt_s = self.retry_interval if may_repeat(cmd, self.caps) else timeout
        sent = 0
        stale_before, dropped_before = self.stale, self._decoder.dropped
        response: Optional[Frame] = None
        while response is None:
            now = time.monotonic()
            if sent and now >= deadline:
                raise TransportTimeoutError(
                    self.transport.port, timeout,
                    detail=self._timeout_notes(sent, stale_before, dropped_before))
            self.transport.write(wire)
            self.repeats += 1 if sent else 0
            sent += 1
            response = self._wait(cmd, frame_id, attempt_s, deadline)
        if response.status != 0:
            name, message = describe(response.status)
            raise DeviceError(response.status, name, message)
        return response.payload

    def _timeout_notes(self, sent: int, stale_before: int, dropped_before: int) -> str:
        notes = [f"sent {sent} times"] if sent > 1 else []
        if self.stale > stale_before:
            notes.append(f"skipped {self.stale - stale_before} response(s) to other requests")
        if self._decoder.dropped > dropped_before:
            notes.append(f"dropped {self._decoder.dropped - dropped_before} bad frame(s): "
                         f"{self._decoder.last_error}")
        return "; ".join(notes)

    def _wait(self, cmd: int, frame_id: int, quiet_s: float, deadline: float) -> Optional[Frame]:
        """The response to request frame_id, or None once the line has been
        quiet for quiet_s seconds or the deadline (time.monotonic()) passed.
        Bytes arriving keep the wait going: on a slow link a long answer may
        take longer than quiet_s, and sending the request again meanwhile
        would only make the device send it twice."""
        until = min(deadline, time.monotonic() + quiet_s)
        while True:
            remaining = until - time.monotonic()
            if remaining <= 0:
                return None
            data = self.transport.read(remaining)
            if data:
                until = min(deadline, time.monotonic() + quiet_s)
            found: Optional[Frame] = None
            for frame in self._decoder.feed(data):
                if found is not None or not frame.is_response or frame.id != frame_id:
                    # Another request's answer, or a second copy of ours (the
                    # line duplicated it, or a repeat was answered too).
                    self.stale += 1
                    continue
                if frame.cmd != cmd | CMD_RESPONSE:
                    raise ProtocolError(f"request 0x{cmd:02x} id {frame_id} was answered with "
                                        f"command 0x{frame.cmd:02x}")
                found = frame
            if found is not None:
                return found

    # ------------------------------------------------------------ operations

    def info(self) -> DeviceInfo:
        """The device's identity, limits and counters (INFO)."""
        with _naming("info"):
            info = parse_info(self.request(Cmd.INFO))
        self.frame_max = info.frame_max
        self.caps = info.caps
        return info

    def reset(self, wait: bool = True) -> float:
        """Warm-resets the device (rings survive). With wait, polls INFO until
        the device answers again and returns how long that took, in seconds."""
        with _naming("reset"):
            self.request(Cmd.RESET)
            self._decoder.reset()
            start = time.monotonic()
            if wait:
                self._wait_ready(start + self.timeout)
            return time.monotonic() - start

    def _wait_ready(self, deadline: float) -> None:
        time.sleep(0.02)  # let the reset happen before the first probe
        while True:
            remaining = deadline - time.monotonic()
            try:
                self.request(Cmd.INFO, timeout=max(0.01, min(0.25, remaining)))
                return
            except TransportTimeoutError:
                if time.monotonic() >= deadline:
                    raise TransportTimeoutError(self.transport.port, self.timeout) from None

    def source_create(self, source: SourceArg, item_size: int, count: int,
                      label: Union[str, bytes, None] = None) -> SourceInfo:
        """Creates a data source, or re-attaches to the existing one with this
        GUID and geometry (then .reattached is set). A name gives both the GUID
        and the label; `label` overrides the label."""
        ref = resolve_source(source)
        with _naming(f"source create {ref}"):
            payload = build_create(ref.guid, ref.label if label is None else label,
                                   item_size, count)
            return parse_source(self.request(Cmd.SRC_CREATE, payload))

    def source_open(self, source: SourceArg) -> SourceInfo:
        """Describes an existing data source."""
        ref = resolve_source(source)
        with _naming(f"source open {ref}"):
            return parse_source(self.request(Cmd.SRC_OPEN, ref.guid.bytes))

    def source_write(self, source: SourceArg, data: bytes) -> int:
        """Appends one item of 1..item_size bytes; returns its sequence number."""
        ref = resolve_source(source)
        with _naming(f"source write {ref}"):
            return parse_seq(self.request(Cmd.SRC_WRITE, ref.guid.bytes + bytes(data)))

    def source_read(self, source: SourceArg, max_items: int = 0) -> ReadResult:
        """Removes and returns the oldest items (as many as fit one frame, or
        at most max_items)."""
        ref = resolve_source(source)
        with _naming(f"source read {ref}"):
            return self._read(Cmd.SRC_READ, ref.guid, max_items)

    def source_capture(self, source: SourceArg,
                       progress: Optional[ProgressFn] = None) -> Capture:
        """Copies every item the ring holds, oldest first, without removing any."""
        ref = resolve_source(source)
        with _naming(f"source capture {ref}"):
            return self._capture(Cmd.SRC_CAPTURE, ref.guid, progress)

    def source_destroy(self, source: SourceArg) -> None:
        """Destroys a data source and its items."""
        ref = resolve_source(source)
        with _naming(f"source destroy {ref}"):
            self._expect_empty(self.request(Cmd.SRC_DESTROY, ref.guid.bytes), "DESTROY")

    def source_list(self) -> List[SourceInfo]:
        """Every data source in use, in slot order."""
        with _naming("source list"):
            return self._list(Cmd.SRC_LIST, parse_source_list)

    def self_read(self, max_items: int = 0) -> ReadResult:
        """source_read() on the firmware's own ring."""
        with _naming("self read"):
            return self._read(Cmd.SELF_READ, _SELF_GUID, max_items)

    def self_capture(self, progress: Optional[ProgressFn] = None) -> Capture:
        """source_capture() on the firmware's own ring."""
        with _naming("self capture"):
            return self._capture(Cmd.SELF_CAPTURE, _SELF_GUID, progress)

    def triage_list(self) -> List[Range]:
        """The registered triage ranges."""
        with _naming("triage list"):
            return self._list(Cmd.TRIAGE_LIST, parse_range_list)

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _expect_empty(payload: bytes, what: str) -> None:
        if payload:
            raise ProtocolError(f"{what} reply has {len(payload)} bytes, expected none")

    def _read(self, cmd: int, guid: uuid.UUID, max_items: int) -> ReadResult:
        reply = parse_items(self.request(cmd, build_read(guid, max_items)))
        if max_items and len(reply.records) > max_items:
            raise ProtocolError(f"asked for at most {max_items} items, got {len(reply.records)}")
        return ReadResult(reply.records, reply.head_seq, reply.lost)

    def _capture(self, cmd: int, guid: uuid.UUID, progress: Optional[ProgressFn]) -> Capture:
        # The loop of docs/protocol.md, "SRC_CAPTURE": the first reply's head
        # is the end; ask again from the sequence after the last item received.
        reply = parse_items(self.request(cmd, build_capture(guid)))
        end = reply.head_seq
        total = seq_diff(end, reply.first_seq)
        records = list(reply.records)
        gaps: List[Gap] = []
        done = len(records)
        if progress:
            progress(done, total)
        next_seq = end if not records else (records[-1].seq + 1) & 0xFFFFFFFF
        while seq_diff(end, next_seq) != 0:
            want = seq_diff(end, next_seq)
            reply = parse_items(self.request(cmd, build_capture(guid, next_seq)))
            skipped = seq_diff(reply.first_seq, next_seq)
            if skipped >= 1 << 31:
                raise ProtocolError(f"capture from #{next_seq} was answered from the earlier "
                                    f"#{reply.first_seq}")
            if skipped:
                gaps.append(Gap(next_seq, min(skipped, want)))
            taken = [r for r in reply.records if seq_diff(r.seq, next_seq) < want]
            records += taken
            done += min(skipped, want) + len(taken)
            if progress:
                progress(done, total)
            if skipped >= want:
                break  # everything up to the end was overwritten meanwhile
            if not taken:
                raise ProtocolError(f"capture from #{reply.first_seq} returned no items though "
                                    f"#{reply.first_seq}..#{(end - 1) & 0xFFFFFFFF} were expected")
            next_seq = (taken[-1].seq + 1) & 0xFFFFFFFF
        return Capture(records, end, reply.lost, gaps)

    def _list(self, cmd: int, parse: Callable[[bytes], Tuple[int, List[_T]]]) -> List[_T]:
        entries: List[_T] = []
        while True:
            total, page = parse(self.request(cmd, build_page(len(entries))))
            entries += page
            if len(entries) >= total:
                return entries
            if not page:
                raise ProtocolError(f"list page at index {len(entries)} is empty though the "
                                    f"device reports {total} entries")

    # ------------------------------------------------------------ crash dumps

    def dump_status(self) -> "DumpStatus":
        """The dump partition: slots, dropped crashes, the last crash record."""
        from .slots import parse_dump_status  # on use: most commands need no dump
        with _naming("dump status"):
            return parse_dump_status(self.request(DumpCmd.DUMP_STATUS))

    def dump_chunk(self) -> int:
        """The most dump bytes one DUMP_READ reply can carry."""
        frame_max = self.frame_max or self.info().frame_max
        return max(16, frame_max - FRAME_OVERHEAD)

    def dump_read(self, slot: int, offset: int, length: int) -> bytes:
        """Up to `length` bytes of a slot from `offset` (fewer at the end)."""
        with _naming(f"dump read slot {slot}"):
            payload = self.request(DumpCmd.DUMP_READ,
                                   WIRE_DUMP_READ.pack(slot=slot, offset=offset, len=length))
            if len(payload) > length:
                raise ProtocolError(f"asked for {length} bytes at offset {offset}, "
                                    f"got {len(payload)}")
            return payload

    def dump_erase(self, slot: int, body_crc: int, force: bool = False) -> None:
        """Erases a slot; without force only if body_crc matches its dump."""
        with _naming(f"dump erase slot {slot}"):
            self._expect_empty(self.request(DumpCmd.DUMP_ERASE, WIRE_DUMP_ERASE.pack(
                slot=slot, flags=ERASE_F_FORCE if force else 0, body_crc=body_crc)),
                "DUMP_ERASE")

    def fault(self, kind: int, wait: float = 10.0) -> float:
        """Injects a fault (test firmware) and waits until the device answers
        again. The device may answer OK first or crash without answering;
        either way, polls INFO until it answers again (after its reset) and
        returns the seconds that took."""
        with _naming(f"fault {kind}"):
            start = time.monotonic()
            try:
                self.request(DumpCmd.FAULT, WIRE_FAULT.pack(kind=kind), timeout=0.5)
            except TransportTimeoutError:
                pass  # expected: the device crashed before answering
            self._decoder.reset()  # drop partial frames from before the crash
            self._wait_ready(start + wait)
            return time.monotonic() - start
