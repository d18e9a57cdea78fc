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
from typing import List, Optional, Tuple

from ..errors import ProtocolError
from .wire import CMD_RESPONSE, FRAME_CRC_LEN, FRAME_DELIM, FRAME_HDR_LEN, FRAME_OVERHEAD

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


# ---- salvage: the first offset of a candidate from which a valid frame starts
#
# Trying each offset with decode_frame() costs O(n) per offset, O(n^2) per
# candidate (8 KB of 0x01 took seconds). Instead all offsets are checked at
# once, in O(n), by running the CRC backwards:
#   - a COBS encoding starting at offset i decodes to D_i = X_i + Z_i + D_e:
#     the bytes of its first group X_i = data[i+1:e] (e = i + data[i]), the
#     zero that group stands for (Z_i, unless the code is 0xFF or e is the end),
#     then whatever the encoding starting at e decodes to;
#   - D is a frame exactly when the CRC register, run over all of D from the
#     initial value, ends at the CRC-32 residue (a message followed by its own
#     CRC always leaves 0xDEBB20E3 there, and only then);
#   - the register update is invertible, so R_i, the value the register must
#     hold before D_i for it to end at the residue, follows from R_e by
#     undoing Z_i and X_i; offset i is a frame when R_i is the initial value.
# Undoing X_i byte by byte would cost up to 254 steps per offset. But the
# update is affine: undoing X = data[a:b] from r gives M^-k (r ^ P_b) ^ P_a with
# k = b - a, P the forward register from 0 over data's prefixes, and M^-k
# "undo k zero bytes", a linear map applied with at most 8 table look-ups
# (k < 256, one table set per power of two).

_MASK32 = 0xFFFFFFFF
_CRC_INIT = 0xFFFFFFFF        # register before the first byte
_CRC_RESIDUE = 0xDEBB20E3     # register after a message and its own CRC


def _crc_tables() -> Tuple[List[int], List[int]]:
    table = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ (0xEDB88320 if c & 1 else 0)
        table.append(c)
    top = [0] * 256  # top byte of table[i] -> i (distinct for CRC-32)
    for i, c in enumerate(table):
        top[c >> 24] = i
    return table, top


_T, _TOP = _crc_tables()


def _crc_undo(reg: int, b: int) -> int:
    """The register before byte b, given the register after it."""
    i = _TOP[reg >> 24]
    return (((reg ^ _T[i]) << 8) & _MASK32) | (i ^ b)


_UNDO_ZEROS: List[List[List[int]]] = []  # [j][lane][v]: M^-(2^j) applied to v << 8*lane


def _undo_zero_tables() -> List[List[List[int]]]:
    if not _UNDO_ZEROS:
        step = [[_crc_undo(v << (8 * lane), 0) for v in range(256)] for lane in range(4)]
        for _ in range(8):
            _UNDO_ZEROS.append(step)
            step = [[_apply(step, x) for x in lane] for lane in step]
    return _UNDO_ZEROS


def _apply(t: List[List[int]], v: int) -> int:
    return t[0][v & 0xFF] ^ t[1][(v >> 8) & 0xFF] ^ t[2][(v >> 16) & 0xFF] ^ t[3][v >> 24]


def salvage_offsets(data: bytes, max_frame: int = MAX_FRAME) -> Tuple[List[int], int]:
    """Every offset of `data` (no 0x00 in it) from which the rest decodes to a
    valid frame of 8..max_frame bytes, in increasing order, and the number of
    steps taken, which is at most 10 * len(data) (tests hold it to that)."""
    n = len(data)
    undo = _undo_zero_tables()
    prefix = [0] * (n + 1)  # forward register from 0 over data[:a]
    reg = 0
    for a, b in enumerate(data):
        reg = _T[(reg ^ b) & 0xFF] ^ (reg >> 8)
        prefix[a + 1] = reg
    steps = n
    need = [-1] * (n + 1)   # R_i, -1: no COBS chain from i reaches the end
    length = [0] * (n + 1)  # len(D_i)
    need[n] = _CRC_RESIDUE
    found: List[int] = []
    for i in range(n - 1, -1, -1):
        code = data[i]
        e = i + code
        steps += 1
        if code == 0 or e > n or need[e] < 0:
            continue
        r = need[e]
        dlen = length[e] + code - 1
        if code != 0xFF and e < n:
            r = _crc_undo(r, 0)
            dlen += 1
        k = code - 1
        if k:
            v = r ^ prefix[e]
            j = 0
            while k:
                if k & 1:
                    v = _apply(undo[j], v)
                    steps += 1
                k >>= 1
                j += 1
            r = v ^ prefix[i + 1]
        need[i] = r
        length[i] = dlen
        if r == _CRC_INIT and FRAME_OVERHEAD <= dlen <= max_frame:
            found.append(i)
    found.reverse()
    return found, steps


class FrameDecoder:
    """Turns a byte stream into frames, one chunk at a time.

    Bytes up to each 0x00 delimiter form one candidate frame. A candidate that
    fails COBS, length or CRC checks is searched for a valid frame at its end,
    so text the firmware printed just before a frame (a boot banner) does not
    cost that frame; if none is found the candidate is dropped and counted.
    Garbage never raises: callers see only good frames.
    """

    def __init__(self, max_frame: int = MAX_FRAME) -> None:
        self.max_frame = max_frame
        self.max_encoded = cobs_max_encoded(max_frame)
        self._buf = bytearray()
        self.frames = 0          # good frames returned
        self.dropped = 0         # candidates with no valid frame in them
        self.skipped_bytes = 0   # bytes discarded: junk before frames, dropped candidates
        self.last_error: Optional[str] = None
        self.salvage_steps = 0   # work spent searching bad candidates (bounded per byte)

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
        offsets, steps = salvage_offsets(tail, self.max_frame)
        self.salvage_steps += steps
        for start in offsets:
            if start == 0 and base == 0:
                continue  # the whole chunk already failed
            try:
                frame = decode_frame(tail[start:])
            except ProtocolError:  # cannot happen: the offset was checked
                return None
            self.salvage_steps += len(tail) - start
            self.skipped_bytes += base + start
            return frame
        return None
