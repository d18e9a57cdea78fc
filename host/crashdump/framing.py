# SPDX-License-Identifier: Apache-2.0
"""Frames on the byte stream: COBS, CRC-32 and an incremental stream decoder.

A frame is cmd u8 | id u8 | status i16 | payload | crc32 u32 (zlib's CRC over
everything before it), COBS-encoded and followed by one 0x00 delimiter
(docs/protocol.md, "Framing"). Pure functions, no I/O.
"""
from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import List, Optional

from .errors import ProtocolError
from .formats import CMD_RESPONSE, FRAME_CRC_LEN, FRAME_DELIM, FRAME_HDR_LEN, FRAME_OVERHEAD

_HDR = struct.Struct("<BBh")
_CRC = struct.Struct("<I")

# frame_max is a u16, so no frame is longer than this before COBS.
MAX_FRAME = 0xFFFF


def cobs_max_encoded(n: int) -> int:
    """Largest COBS encoding of n bytes (without the delimiter)."""
    return n + n // 254 + 1


def cobs_encode(data: bytes) -> bytes:
    """COBS-encodes `data` (the result holds no 0x00; no delimiter appended)."""
    out = bytearray()
    block = bytearray()
    just_flushed_full = False
    for b in data:
        just_flushed_full = False
        if b == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(b)
            if len(block) == 254:
                out.append(0xFF)
                out += block
                block.clear()
                just_flushed_full = True
    if not just_flushed_full:
        out.append(len(block) + 1)
        out += block
    return bytes(out)


def cobs_decode(data: bytes) -> bytes:
    """Decodes one COBS block sequence (without its delimiter).
    Raises ProtocolError if it holds a 0x00 or a block runs past the end."""
    out = bytearray()
    i, n = 0, len(data)
    while i < n:
        code = data[i]
        if code == 0:
            raise ProtocolError(f"COBS: 0x00 at offset {i} inside a frame")
        end = i + code
        if end > n:
            raise ProtocolError(f"COBS: block at offset {i} runs {end - n} bytes past the end")
        block = data[i + 1:end]
        if 0 in block:
            raise ProtocolError("COBS: 0x00 inside a block")
        out += block
        i = end
        if code != 0xFF and i < n:
            out.append(0)
    return bytes(out)


@dataclass(frozen=True)
class Frame:
    """One decoded frame."""

    cmd: int
    id: int
    status: int = 0
    payload: bytes = b""

    @property
    def is_response(self) -> bool:
        return bool(self.cmd & CMD_RESPONSE)


def frame_bytes(frame: Frame) -> bytes:
    """The frame before COBS: header, payload, CRC."""
    body = _HDR.pack(frame.cmd, frame.id, frame.status) + frame.payload
    return body + _CRC.pack(zlib.crc32(body))


def encode_frame(frame: Frame) -> bytes:
    """The frame as sent on the wire: COBS-encoded, with its 0x00 delimiter."""
    return cobs_encode(frame_bytes(frame)) + bytes([FRAME_DELIM])


def parse_frame(raw: bytes) -> Frame:
    """A frame from its decoded bytes (after COBS). Raises ProtocolError."""
    if len(raw) < FRAME_OVERHEAD:
        raise ProtocolError(f"frame of {len(raw)} bytes is shorter than {FRAME_OVERHEAD}")
    body, (crc,) = raw[:-FRAME_CRC_LEN], _CRC.unpack(raw[-FRAME_CRC_LEN:])
    if zlib.crc32(body) != crc:
        raise ProtocolError(f"frame CRC mismatch (got {crc:08x}, computed {zlib.crc32(body):08x})")
    cmd, frame_id, status = _HDR.unpack_from(body)
    return Frame(cmd, frame_id, status, bytes(body[FRAME_HDR_LEN:]))


def decode_frame(encoded: bytes) -> Frame:
    """A frame from its COBS encoding (delimiter removed). Raises ProtocolError."""
    return parse_frame(cobs_decode(encoded))


def _cobs_chain_starts(data: bytes) -> List[int]:
    """Offsets from which COBS block codes chain exactly to the end of data,
    i.e. where a COBS encoding could start if the bytes before it are junk."""
    n = len(data)
    reaches = [False] * (n + 1)
    reaches[n] = True
    for i in range(n - 1, -1, -1):
        end = i + data[i]
        reaches[i] = data[i] != 0 and end <= n and reaches[end]
    return [i for i in range(n) if reaches[i]]


class FrameDecoder:
    """Turns a byte stream into frames, one chunk at a time.

    Bytes up to each 0x00 delimiter form one candidate frame. A candidate that
    fails COBS, length or CRC checks is searched for a valid frame at its end,
    so text the firmware printed just before a frame (a boot banner) does not
    cost that frame; if none is found the candidate is dropped and counted.
    Garbage never raises: callers see only good frames.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_encoded = cobs_max_encoded(max_frame)
        self._buf = bytearray()
        self.frames = 0          # good frames returned
        self.dropped = 0         # candidates with no valid frame in them
        self.skipped_bytes = 0   # bytes discarded: junk before frames, dropped candidates
        self.last_error: Optional[str] = None

    def reset(self) -> None:
        """Forgets a partial frame (e.g. after the device reset)."""
        self.skipped_bytes += len(self._buf)
        self._buf.clear()

    def feed(self, data: bytes) -> List[Frame]:
        """Adds bytes; returns the frames they completed, in order."""
        self._buf += data
        frames: List[Frame] = []
        if FRAME_DELIM in data:
            *chunks, rest = bytes(self._buf).split(bytes([FRAME_DELIM]))
            self._buf = bytearray(rest)
            for chunk in chunks:
                frame = self._take(chunk)
                if frame is not None:
                    frames.append(frame)
        if len(self._buf) > self.max_encoded:
            # No delimiter for longer than any frame can be: keep only a tail
            # that could still be the start of a frame.
            cut = len(self._buf) - self.max_encoded
            del self._buf[:cut]
            self.skipped_bytes += cut
        return frames

    def _take(self, chunk: bytes) -> Optional[Frame]:
        if not chunk:
            return None  # back-to-back delimiters
        try:
            frame = decode_frame(chunk)
        except ProtocolError as e:
            self.last_error = str(e)
            frame = self._salvage(chunk)
            if frame is None:
                self.dropped += 1
                self.skipped_bytes += len(chunk)
                return None
        self.frames += 1
        return frame

    def _salvage(self, chunk: bytes) -> Optional[Frame]:
        base = max(0, len(chunk) - self.max_encoded)
        tail = chunk[base:]
        for start in _cobs_chain_starts(tail):
            if start == 0 and base == 0:
                continue  # the whole chunk already failed
            try:
                frame = decode_frame(tail[start:])
            except ProtocolError:
                continue
            self.skipped_bytes += base + start
            return frame
        return None

