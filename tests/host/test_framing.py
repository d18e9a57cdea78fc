# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import random
import struct
import zlib

import pytest

from crashdump.errors import ProtocolError
from crashdump.protocol.framing import (Frame, FrameDecoder, cobs_decode, cobs_encode,
                                        cobs_max_encoded, decode_frame, encode_frame, frame_bytes,
                                        parse_frame)

R = bytes(range(1, 256))  # 01..FF

# The examples of the COBS article on Wikipedia (Cheshire & Baker's encoding).
COBS_VECTORS = [
    (b"", b"\x01"),
    (b"\x00", b"\x01\x01"),
    (b"\x00\x00", b"\x01\x01\x01"),
    (b"\x00\x11\x00", b"\x01\x02\x11\x01"),
    (b"\x11\x22\x00\x33", b"\x03\x11\x22\x02\x33"),
    (b"\x11\x22\x33\x44", b"\x05\x11\x22\x33\x44"),
    (b"\x11\x00\x00\x00", b"\x02\x11\x01\x01\x01"),
    (R[:254], b"\xff" + R[:254]),
    (b"\x00" + R[:254], b"\x01\xff" + R[:254]),
    (R, b"\xff" + R[:254] + b"\x02\xff"),
    (R[1:] + b"\x00", b"\xff" + R[1:] + b"\x01\x01"),
    (R[2:] + b"\x00\x01", b"\xfe" + R[2:] + b"\x02\x01"),
]


@pytest.mark.parametrize("raw,encoded", COBS_VECTORS)
def test_cobs_known_vectors(raw: bytes, encoded: bytes) -> None:
    assert cobs_encode(raw) == encoded
    assert cobs_decode(encoded) == raw


def test_cobs_round_trip_random() -> None:
    rng = random.Random(1)
    for _ in range(500):
        n = rng.choice([rng.randrange(0, 20), rng.randrange(240, 800)])
        zero_rate = rng.choice([0.0, 0.01, 0.3, 1.0])
        raw = bytes(0 if rng.random() < zero_rate else rng.randrange(1, 256) for _ in range(n))
        enc = cobs_encode(raw)
        assert 0 not in enc
        assert len(enc) <= cobs_max_encoded(n)
        assert cobs_decode(enc) == raw


@pytest.mark.parametrize("bad", [b"\x03\x11", b"\x02\x11\x00", b"\x00", b"\x05\x01\x02\x03"])
def test_cobs_decode_rejects_bad_input(bad: bytes) -> None:
    with pytest.raises(ProtocolError):
        cobs_decode(bad)


def test_frame_layout_and_crc() -> None:
    assert zlib.crc32(b"123456789") == 0xCBF43926  # CRC-32/ISO-HDLC check value
    raw = frame_bytes(Frame(0x11, 7, -4, b"\xaa\xbb"))
    body = b"\x11\x07\xfc\xff\xaa\xbb"
    assert raw == body + struct.pack("<I", zlib.crc32(body))
    wire = encode_frame(Frame(0x11, 7, -4, b"\xaa\xbb"))
    assert wire.endswith(b"\x00") and wire.count(0) == 1
    assert decode_frame(wire[:-1]) == Frame(0x11, 7, -4, b"\xaa\xbb")


def test_parse_frame_rejects_short_and_bad_crc() -> None:
    with pytest.raises(ProtocolError, match="shorter"):
        parse_frame(b"\x01\x02\x00\x00\x00\x00\x00")
    raw = bytearray(frame_bytes(Frame(0x81, 1, 0, b"x")))
    raw[4] ^= 0xFF
    with pytest.raises(ProtocolError, match="CRC"):
        parse_frame(bytes(raw))


def frames_of(*frames: Frame) -> bytes:
    return b"".join(encode_frame(f) for f in frames)


def test_decoder_byte_by_byte_and_many_per_chunk() -> None:
    frames = [Frame(0x81, i, 0, bytes(range(i * 50 % 256)) * 3) for i in range(6)]
    wire = frames_of(*frames)
    dec = FrameDecoder()
    got = [f for b in wire for f in dec.feed(bytes([b]))]
    assert got == frames
    assert FrameDecoder().feed(wire) == frames


def test_decoder_skips_text_before_a_frame() -> None:
    frame = Frame(0x81, 3, 0, b"payload\x00with zero")
    dec = FrameDecoder()
    got = dec.feed(b"crashdump-demo boot 2\r\n" + frames_of(frame))
    assert got == [frame]
    assert dec.skipped_bytes == len(b"crashdump-demo boot 2\r\n")
    assert dec.dropped == 0


def test_decoder_drops_bad_crc_and_truncated_frames_then_recovers() -> None:
    good = Frame(0x90, 9, 0, b"ok")
    bad = bytearray(encode_frame(Frame(0x90, 8, 0, b"corrupted")))
    bad[6] ^= 0x01  # a payload byte: the CRC no longer matches
    truncated = encode_frame(Frame(0x90, 7, 0, b"cut short"))[:6] + b"\x00"
    dec = FrameDecoder()
    assert dec.feed(bytes(bad) + truncated + b"\x00\x00" + frames_of(good)) == [good]
    assert dec.dropped == 2
    assert "CRC" in (dec.last_error or "") or "COBS" in (dec.last_error or "")


def test_decoder_bounds_its_buffer_without_delimiters() -> None:
    dec = FrameDecoder(max_frame=100)
    assert dec.feed(b"x" * 10000) == []
    assert len(dec._buf) <= cobs_max_encoded(100)
    frame = Frame(0x81, 1, 0, b"after the noise")
    assert dec.feed(frames_of(frame)) == [frame]


def test_decoder_reset_forgets_partial_frame() -> None:
    frame = Frame(0x81, 1, 0, b"abc")
    wire = frames_of(frame)
    dec = FrameDecoder()
    dec.feed(wire[:4])
    dec.reset()
    assert dec.feed(wire) == [frame]


# ------------------------------------------------------------ salvage work bound (issue 11)
# The salvage search once tried every offset with a full decode: 8 KB of 0x01
# then 0x00 took 12 s, the full 64 KiB candidate minutes. It is now linear;
# FrameDecoder.salvage_steps counts its work, so the bound is checked without
# any clock.


def test_salvage_of_the_largest_worst_candidate_is_linear() -> None:
    dec = FrameDecoder()
    worst = b"\x01" * dec.max_encoded  # every offset starts a COBS chain to the end
    assert dec.feed(worst + b"\x00") == []
    assert dec.dropped == 1
    assert 0 < dec.salvage_steps <= 10 * len(worst)


def test_salvage_finds_a_largest_frame_behind_worst_case_junk() -> None:
    frame = Frame(0x81, 9, 0, (bytes(range(1, 256)) * 258)[:0xFFFF - 8])
    wire = encode_frame(frame)
    dec = FrameDecoder()
    junk = b"\x01\x02\xff" * 300
    assert dec.feed(junk + wire) == [frame]
    assert dec.skipped_bytes == len(junk)
    assert dec.salvage_steps <= 11 * (len(junk) + len(wire))


@pytest.mark.parametrize("pattern", [b"\x01", b"\x02\x81", b"\xff", bytes(range(255, 0, -1)),
                                     bytes(range(1, 256))])
def test_salvage_work_is_proportional_to_input(pattern: bytes) -> None:
    for size in (1000, 16000, 64000):
        dec = FrameDecoder()
        data = (pattern * (size // len(pattern) + 1))[:size]
        dec.feed(data + b"\x00")
        assert dec.salvage_steps <= 10 * size
