# SPDX-License-Identifier: Apache-2.0
"""The RSP packet reader (crashdump.rsp.PacketReader), the gdbserver's request
loop and the RSP client's reply handling under hostile input: bounded buffers,
resynchronisation, and property tests (hypothesis) with oracles -- well-formed
packets round-trip however the stream is cut, arbitrary bytes raise nothing but
crashdump's errors, and the reader never holds more than its bound."""
from __future__ import annotations

import os
from typing import List, Optional, Tuple

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crashdump import rsp
from crashdump.errors import CrashdumpError
from crashdump.gdbserver import RspServer
from crashdump.gdbserver.server import PACKET_SIZE
from crashdump.probe.rsp_client import (RspClient, RspError, includes_of, parse_stop_reply,
                                        parse_target_xml)

from .test_gdbserver import make_target

KINDS = {"packet", "bad", "cut", "overlong", "ack", "nak", "interrupt"}
# CI runs 300 examples per property; a longer run sets CRASHDUMP_FUZZ_EXAMPLES.
FUZZ = settings(max_examples=int(os.environ.get("CRASHDUMP_FUZZ_EXAMPLES", "300")), deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def feed_in(reader: rsp.PacketReader, data: bytes, cuts: List[int]) -> List[Tuple[str, bytes]]:
    """Feeds data cut at the given offsets, checking the bound after each piece."""
    events: List[Tuple[str, bytes]] = []
    last = 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        events += reader.feed(data[last:cut])
        last = cut
        assert reader.buffered() <= reader.max_body + 2
    return events


# ---------------------------------------------------------------- the worst inputs


def test_a_dollar_without_a_hash_is_held_only_up_to_the_bound() -> None:
    reader = rsp.PacketReader(max_body=1024)
    events = reader.feed(b"$")
    for _ in range(4096):  # 4 MiB of body that never ends, as a peer might send it
        events += reader.feed(b"a" * 1024)
        assert reader.buffered() <= 1024
    assert events == [("overlong", b"a" * 32)]  # reported once, not per chunk
    # The skipped packet's end is not taken for a packet, and the next one is read.
    assert reader.feed(b"#00+" + rsp.encode(b"qC")) == [("ack", b"+"), ("packet", b"qC")]


def test_one_byte_at_a_time_overlong_then_good() -> None:
    reader = rsp.PacketReader(max_body=64)
    stream = b"$" + b"x" * 200 + rsp.encode(b"g")  # cut short by the next packet's `$`
    events = [e for b in stream for e in reader.feed(bytes((b,)))]
    assert events == [("overlong", b"x" * 32), ("packet", b"g")]
    assert reader.buffered() == 0


def test_a_body_of_exactly_the_bound_is_accepted() -> None:
    reader = rsp.PacketReader(max_body=16)
    assert reader.feed(rsp.encode(b"A" * 16)) == [("packet", b"A" * 16)]
    assert reader.feed(rsp.encode(b"A" * 17))[0][0] == "overlong"


def test_a_new_dollar_restarts_the_packet() -> None:
    reader = rsp.PacketReader()
    assert reader.feed(b"$m0,4" + rsp.encode(b"?")) == [("cut", b"m0,4"), ("packet", b"?")]


def test_gdbserver_answers_the_packet_after_a_cut_one_once() -> None:
    # A NAK for the cut fragment would make GDB resend the good packet: two replies.
    server = RspServer(make_target())
    assert server.feed(b"$m0,4" + rsp.encode(b"qC")) == rsp.ACK + rsp.encode(b"QC1")


def test_noise_between_packets_is_dropped_and_controls_are_kept() -> None:
    reader = rsp.PacketReader()
    assert reader.feed(b"garbage+\x03junk-#7f" + rsp.encode(b"k")) == \
        [("ack", b"+"), ("interrupt", b"\x03"), ("nak", b"-"), ("packet", b"k")]


def test_checksum_must_be_two_hex_digits() -> None:
    reader = rsp.PacketReader()
    body = b"qC"
    cs = b"%02x" % rsp.checksum(body)
    assert reader.feed(b"$qC# " + cs[1:]) == [("bad", b"qC")]  # int() would take " f"
    assert reader.feed(b"$qC#" + cs.upper()) == [("packet", b"qC")]


def test_gdbserver_rejects_a_packet_longer_than_its_packet_size() -> None:
    server = RspServer(make_target())
    assert server.reader.max_body == PACKET_SIZE
    out = server.feed(b"$m" + b"0" * (PACKET_SIZE + 10))
    assert out == rsp.NAK and server.reader.buffered() <= PACKET_SIZE
    out = server.feed(b"0" * (1 << 20))  # still no `#`: nothing more is kept or said
    assert out == b"" and server.reader.buffered() <= PACKET_SIZE
    assert server.feed(b"#00" + rsp.encode(b"qC")) == rsp.ACK + rsp.encode(b"QC1")


def test_gdbserver_without_acks_answers_an_overlong_packet_with_an_error() -> None:
    server = RspServer(make_target())
    server.feed(rsp.encode(b"QStartNoAckMode"))
    assert not server.ack_mode
    assert server.feed(rsp.encode(b"X0," + b"0" * PACKET_SIZE)) == rsp.encode(b"E01")


# ---------------------------------------------------------------- properties

noise = st.binary(max_size=40).map(lambda b: bytes(c for c in b if c not in b"$+-\x03"))
payloads = st.binary(max_size=300)


@FUZZ
@given(st.lists(st.tuples(noise, payloads), max_size=8), st.lists(st.integers(0, 5000)))
def test_well_formed_packets_round_trip_however_cut(items: List[Tuple[bytes, bytes]],
                                                    cuts: List[int]) -> None:
    stream = b"".join(n + rsp.encode(p) for n, p in items)
    events = feed_in(rsp.PacketReader(), stream, cuts)
    assert events == [("packet", p) for _, p in items]


@FUZZ
@given(st.binary(max_size=300).map(lambda b: b.replace(b"x", b"xxxxxxxx")))
def test_run_length_replies_round_trip(payload: bytes) -> None:
    # A stub may encode runs as X*n (n - 29 more of X); the reader undoes it.
    packed = bytearray()
    i = 0
    while i < len(payload):
        run = 1
        while i + run < len(payload) and payload[i + run] == payload[i] and run < 90:
            run += 1
        count = run - 1 + 29
        if payload[i] not in b"#$}*" and run > 3 and count not in b"#$*":
            packed += bytes((payload[i], 0x2A, count))
        else:
            packed += rsp.escape(payload[i:i + run])
        i += run
    packet = b"$" + bytes(packed) + b"#%02x" % rsp.checksum(bytes(packed))
    assert rsp.PacketReader().feed(packet) == [("packet", payload)]


@FUZZ
@given(st.binary(max_size=3000), st.lists(st.integers(0, 3000)), st.integers(1, 200))
def test_arbitrary_bytes_give_only_events_within_the_bound(data: bytes, cuts: List[int],
                                                           bound: int) -> None:
    reader = rsp.PacketReader(max_body=bound)
    for kind, payload in feed_in(reader, data, cuts):
        assert kind in KINDS
        if kind in ("bad", "cut"):
            assert len(payload) <= bound
        if kind == "packet":  # run-lengths expand at most 226/2 times
            assert len(payload) <= 113 * bound


@FUZZ
@given(st.binary(max_size=500), payloads, st.integers(8, 64))
def test_after_any_garbage_a_resent_packet_gets_through(garbage: bytes, payload: bytes,
                                                        bound: int) -> None:
    # GDB resends a packet the stub NAKed; the second copy at the latest is read.
    reader = rsp.PacketReader(max_body=max(bound, 2 * len(payload) + 2))
    reader.feed(garbage)
    events = reader.feed(rsp.encode(payload) * 2)
    assert ("packet", payload) in events


@FUZZ
@given(st.binary(max_size=2000), st.lists(st.integers(0, 2000), max_size=20))
def test_gdbserver_answers_any_bytes_without_raising(data: bytes, cuts: List[int]) -> None:
    server = RspServer(make_target())
    last = 0
    for cut in sorted(set(c % (len(data) + 1) for c in cuts)) + [len(data)]:
        out = server.feed(data[last:cut])
        last = cut
        assert isinstance(out, bytes)
        assert server.reader.buffered() <= PACKET_SIZE + 2


@FUZZ
@given(st.sampled_from([b"m", b"p", b"g", b"qXfer:features:read:target.xml:", b"H", b"?",
                        b"vCont;", b"qSupported", b"M", b"Z0,"]), st.binary(max_size=60))
def test_gdbserver_answers_every_request_shape(prefix: bytes, rest: bytes) -> None:
    server = RspServer(make_target())
    reply = server.handle(prefix + rest)
    assert reply is None or isinstance(reply, bytes)


# ---------------------------------------------------------------- the client side


@FUZZ
@given(st.binary(max_size=200))
def test_client_reply_parsers_take_any_bytes(data: bytes) -> None:
    stop = parse_stop_reply(data)
    assert stop is None or stop.raw == data
    includes_of(data)
    try:
        regs = parse_target_xml({"target.xml": data})
    except RspError:
        return
    assert all(0 <= r.regnum < 1 << 16 for r in regs)


attr_text = st.one_of(st.integers(-5, 70000).map(str), st.text("0123456789xab -+_", max_size=4))


@FUZZ
@given(st.lists(st.tuples(st.text("abcdefpsr0123", min_size=1, max_size=6),
                          st.none() | attr_text, st.none() | attr_text), max_size=12))
def test_target_xml_registers_are_numbered_as_gdb_numbers_them(
        regs: List[Tuple[str, Optional[str], Optional[str]]]) -> None:
    """Oracle: each register is its regnum if given, else one after the previous."""
    body = b"".join(b'<reg name="%s"%s%s/>' % (
        name.encode(), b' regnum="%s"' % num.encode("utf-8", "replace").replace(b'"', b"")
        if num is not None else b"",
        b' bitsize="%s"' % size.encode("utf-8", "replace").replace(b'"', b"")
        if size is not None else b"") for name, num, size in regs)
    doc = b'<target><feature name="f">' + body + b"</feature></target>"
    expected: Optional[List[Tuple[str, int, int]]] = []
    nxt = 0
    for name, num, size in regs:
        try:
            n = int(num) if num is not None else nxt
            bits = int(size) if size is not None else 32
        except ValueError:
            expected = None  # not a number: must be refused
            break
        if not (0 <= n < 1 << 16 and 0 < bits <= 4096):
            expected = None  # out of range: must be refused
            break
        expected.append((name, n, bits))
        nxt = n + 1
    if expected is None:
        with pytest.raises(RspError):
            parse_target_xml({"target.xml": doc})
        return
    got = parse_target_xml({"target.xml": doc})
    assert [(r.name, r.regnum, r.bitsize) for r in got] == expected
    assert all(r.feature == "f" for r in got)


def test_target_xml_errors_are_rsp_errors() -> None:
    for doc in (b'<target><reg name="pc" regnum="x"/></target>',
                b'<target><reg name="pc" bitsize="-8"/></target>',
                b"<a>" * 5000 + b'<reg name="pc"/>' + b"</a>" * 5000,
                b'<target><xi:include href="a.xml"/></target>'):
        try:
            regs = parse_target_xml({"target.xml": doc})
        except RspError:
            continue
        assert [r.name for r in regs] == ["pc"]  # the deep one parses, iteratively
    # includes that include the same document many times: the walk is bounded
    many = b"<target>" + b'<xi:include href="b.xml"/>' * 30 + b"</target>"
    docs = {"target.xml": many, "a.xml": many.replace(b"b.xml", b"a.xml"), "b.xml": many.replace(b"b.xml", b"a.xml")}
    with pytest.raises(RspError):
        parse_target_xml(docs)


class ScriptedSocket:
    """A socket whose peer says the given chunks and then hangs up."""

    def __init__(self, chunks: List[bytes]) -> None:
        self.chunks = list(chunks)
        self.sent = bytearray()

    def recv(self, n: int) -> bytes:
        return self.chunks.pop(0)[:n] if self.chunks else b""

    def sendall(self, data: bytes) -> None:
        self.sent += data

    def settimeout(self, t: Optional[float]) -> None:
        pass

    def close(self) -> None:
        pass


def scripted_client(chunks: List[bytes]) -> RspClient:
    client = RspClient("stub", 1, timeout=5.0)
    client._sock = ScriptedSocket(chunks)  # type: ignore[assignment]
    return client


GOOD_START = [b"+" + rsp.encode(b"PacketSize=1000;qXfer:features:read+"),
              b"+" + rsp.encode(b"T05"),
              b"+" + rsp.encode(b'l<target><reg name="pc" bitsize="32" regnum="15"/></target>')]


@FUZZ
@given(st.lists(st.binary(max_size=300), max_size=12), st.integers(0, 3))
def test_client_survives_any_stub_bytes(chunks: List[bytes], keep: int) -> None:
    # The first `keep` replies of a normal handshake, then arbitrary bytes.
    client = scripted_client(GOOD_START[:keep] + chunks)
    try:
        client._handshake()
        client.read_memory(0x20000000, 64)
        client.read_register("pc")
        client.read_all_registers()
        client.monitor("system_reset")
    except CrashdumpError:
        pass
    assert client._reader.buffered() <= client._reader.max_body + 2


def test_client_rejects_an_overlong_reply() -> None:
    client = scripted_client(GOOD_START + [b"$" + b"0" * 40000, b"0" * 40000])
    client._handshake()
    assert client.registers["pc"].regnum == 15
    with pytest.raises(RspError, match="longer than"):
        client.read_memory(0x20000000, 4)
    assert client._reader.buffered() <= client._reader.max_body


def test_client_bounds_a_hostile_packet_size_and_console_flood() -> None:
    client = scripted_client([b"+" + rsp.encode(b"PacketSize=ffffffffffff"),
                              b"+" + rsp.encode(b"T05"), b"+"]
                             + [rsp.encode(b"O" + b"41" * 2000)] * 600)
    client._handshake()
    assert client.packet_size == 1 << 20
    with pytest.raises(RspError, match="more than"):
        client.monitor("info")
