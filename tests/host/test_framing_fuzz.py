# SPDX-License-Identifier: Apache-2.0
"""Property-based fuzzing of the host's frame layer (crashdump.protocol.framing) with
hypothesis: round trips, hostile byte streams, and the salvage search's
result and work bound against a brute-force reference."""
from __future__ import annotations

import os
from typing import List

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crashdump.errors import CrashdumpError, ProtocolError
from crashdump.protocol.framing import (Frame, FrameDecoder, cobs_decode, cobs_encode, decode_frame,
                                        encode_frame, salvage_offsets)

# 300 examples per property in CI; scripts/bench.sh sets CRASHDUMP_FUZZ_EXAMPLES higher.
SETTINGS = settings(max_examples=int(os.environ.get("CRASHDUMP_FUZZ_EXAMPLES", "300")),
                    deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

frames = st.builds(Frame, cmd=st.integers(0, 255), id=st.integers(0, 255),
                   status=st.integers(-0x8000, 0x7FFF), payload=st.binary(max_size=1200))
# Junk biased to what breaks COBS parsers: small codes, 0xFF runs, zeros.
junk = st.binary(max_size=400) | st.lists(st.sampled_from([0, 1, 2, 3, 0x7F, 0x81, 0xFE, 0xFF]),
                                          max_size=400).map(bytes)


def chunked(data: bytes, cuts: List[int]) -> List[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    edges = [0] + points + [len(data)]
    return [data[a:b] for a, b in zip(edges, edges[1:])]


def brute_offsets(data: bytes) -> List[int]:
    found = []
    for i in range(len(data)):
        try:
            decode_frame(data[i:])
        except ProtocolError:
            continue
        found.append(i)
    return found


@SETTINGS
@given(st.binary(max_size=2000))
def test_cobs_round_trip(data: bytes) -> None:
    enc = cobs_encode(data)
    assert 0 not in enc
    assert cobs_decode(enc) == data


@SETTINGS
@given(st.lists(frames, min_size=1, max_size=5), st.lists(st.integers(0, 10000), max_size=8))
def test_stream_round_trip_any_chunking(fs: List[Frame], cuts: List[int]) -> None:
    wire = b"".join(encode_frame(f) for f in fs)
    dec = FrameDecoder()
    got: List[Frame] = []
    for piece in chunked(wire, cuts):
        got += dec.feed(piece)
    assert got == fs
    assert dec.dropped == 0 and dec.salvage_steps == 0


@SETTINGS
@given(st.binary(max_size=3000), st.lists(st.integers(0, 10000), max_size=8))
def test_arbitrary_bytes_never_raise_and_work_is_bounded(data: bytes, cuts: List[int]) -> None:
    dec = FrameDecoder()
    for piece in chunked(data, cuts):
        for f in dec.feed(piece):
            assert isinstance(f, Frame)
    assert dec.salvage_steps <= 11 * len(data)
    try:
        cobs_decode(data)
        decode_frame(data)
    except CrashdumpError:
        pass  # the only kind of error allowed


@SETTINGS
@given(junk, frames)
def test_junk_then_delimiter_then_frame_is_always_received(noise: bytes, f: Frame) -> None:
    # What the host relies on after line noise: a 0x00 ends any garbage.
    dec = FrameDecoder()
    assert dec.feed(noise + b"\x00" + encode_frame(f))[-1] == f


@SETTINGS
@given(junk, frames)
def test_salvage_finds_exactly_the_offsets_brute_force_finds(noise: bytes, f: Frame) -> None:
    clean = noise.replace(b"\x00", b"")
    data = clean + encode_frame(f)[:-1]
    offsets, steps = salvage_offsets(data)
    assert offsets == brute_offsets(data)
    assert len(clean) in offsets  # the real frame is never missed
    assert steps <= 10 * len(data)
    got = FrameDecoder().feed(data + b"\x00")
    assert got == [decode_frame(data[offsets[0]:])]
