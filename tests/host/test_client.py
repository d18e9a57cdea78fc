# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import uuid
from typing import List, Tuple

import pytest

from crashdump import (Client, DeviceError, Gap, ProtocolError, TransportTimeoutError,
                       guid_from_name)
from crashdump.protocol.wire import Cmd

from .fake_device import FakeDevice, FakeTransport


def make_client(device: FakeDevice, timeout: float = 0.3) -> Client:
    return Client(FakeTransport(device), timeout=timeout)


def count_requests(device: FakeDevice, cmd: int) -> int:
    return sum(1 for c, _ in device.requests if c == cmd)


def test_info(client: Client) -> None:
    assert client.frame_max is None
    info = client.info()
    assert info.name == "fake-device"
    assert info.frame_max == 1024 and client.frame_max == 1024
    assert info.build_id == bytes(range(1, 21))
    assert info.self_count == 16


def test_create_reattach_and_geometry(client: Client, device: FakeDevice) -> None:
    s = client.source_create("sensor", item_size=32, count=8)
    assert s.guid == guid_from_name("sensor") and s.label == "sensor"
    assert not s.reattached and s.held == 0
    client.source_write("sensor", b"kept")
    again = client.source_create("sensor", item_size=32, count=8)
    assert again.reattached and again.held == 1
    with pytest.raises(DeviceError) as e:
        client.source_create("sensor", item_size=16, count=8)
    assert e.value.name == "GEOMETRY" and e.value.status == -8
    assert e.value.operation == "source create 'sensor'"


def test_create_with_guid_and_label(client: Client, device: FakeDevice) -> None:
    g = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    s = client.source_create(str(g), 4, 2, label="explicit")
    assert s.guid == g and s.label == "explicit"
    assert device.sources[0].guid == g.bytes


@pytest.mark.parametrize("kwargs,name,message", [
    ({"item_size": 300, "count": 1}, "ITEM_TOO_LARGE", "item too large"),
    ({"item_size": 256, "count": 100}, "RING_TOO_LARGE", "ring too large"),
    ({"item_size": 0, "count": 1}, "INVAL", "invalid argument"),
])
def test_create_errors_name_the_status(client: Client, kwargs: dict, name: str,
                                       message: str) -> None:
    with pytest.raises(DeviceError) as e:
        client.source_create("x", **kwargs)
    assert e.value.name == name
    assert str(e.value) == f"{message} ({name})"


def test_source_limit(client: Client) -> None:
    for i in range(4):
        client.source_create(f"s{i}", 4, 1)
    with pytest.raises(DeviceError, match=r"data source limit reached \(SOURCE_LIMIT\)"):
        client.source_create("s4", 4, 1)


def test_unknown_source_names_operation(client: Client) -> None:
    for call, op in [(lambda: client.source_open("nope"), "source open 'nope'"),
                     (lambda: client.source_write("nope", b"x"), "source write 'nope'"),
                     (lambda: client.source_read("nope"), "source read 'nope'"),
                     (lambda: client.source_capture("nope"), "source capture 'nope'"),
                     (lambda: client.source_destroy("nope"), "source destroy 'nope'")]:
        with pytest.raises(DeviceError) as e:
            call()
        assert (e.value.operation, e.value.name, e.value.status) == (op, "UNKNOWN_SOURCE", -4)
        assert str(e.value) == "unknown data source (UNKNOWN_SOURCE)"


def test_write_read_and_lost(client: Client) -> None:
    client.source_create("log", item_size=8, count=4)
    seqs = [client.source_write("log", f"rec{i}".encode()) for i in range(6)]
    assert seqs == list(range(6))
    first = client.source_read("log", max_items=1)
    assert [(r.seq, r.data) for r in first.records] == [(2, b"rec2")]
    assert first.lost == 2
    rest = client.source_read("log")
    assert [r.seq for r in rest.records] == [3, 4, 5] and rest.lost == 0
    assert client.source_read("log").records == []
    with pytest.raises(DeviceError, match="ITEM_TOO_LARGE"):
        client.source_write("log", b"123456789")
    with pytest.raises(DeviceError, match="INVAL"):
        client.source_write("log", b"")


def fill(client: Client, name: str, count: int, size: int = 32) -> None:
    client.source_create(name, item_size=size, count=count)
    for i in range(count):
        client.source_write(name, bytes([i]) * size)


def test_capture_paginates_and_keeps_items() -> None:
    device = FakeDevice(frame_max=128)  # 3 items of 32 bytes per reply
    client = make_client(device)
    fill(client, "ring", 10)
    progress: List[Tuple[int, int]] = []
    cap = client.source_capture("ring", progress=lambda d, t: progress.append((d, t)))
    assert [r.seq for r in cap.records] == list(range(10))
    assert cap.records[9].data == bytes([9]) * 32
    assert cap.gaps == [] and cap.missed == 0 and cap.end_seq == 10
    assert count_requests(device, Cmd.SRC_CAPTURE) == 4
    assert progress == [(3, 10), (6, 10), (9, 10), (10, 10)]
    assert client.source_open("ring").held == 10  # capture removed nothing


def test_capture_reports_gap_when_items_are_overwritten_meanwhile() -> None:
    device = FakeDevice(frame_max=128)
    client = make_client(device)
    fill(client, "ring", 8)

    def overwrite(cmd: int, payload: bytes) -> None:
        if cmd == Cmd.SRC_CAPTURE and count_requests(device, cmd) == 2:
            for _ in range(5):
                device.sources[0].write(b"new")  # seqs 8..12 push out 0..4

    device.before_reply = overwrite
    cap = client.source_capture("ring")
    assert [r.seq for r in cap.records] == [0, 1, 2, 5, 6, 7]
    assert cap.gaps == [Gap(3, 2)] and cap.missed == 2
    assert cap.end_seq == 8 and cap.lost == 5
    assert all(r.data != b"new" for r in cap.records)  # items past the end are not included


def test_capture_stops_when_everything_up_to_the_end_was_overwritten() -> None:
    device = FakeDevice(frame_max=128)
    client = make_client(device)
    fill(client, "ring", 8)

    def overwrite(cmd: int, payload: bytes) -> None:
        if cmd == Cmd.SRC_CAPTURE and count_requests(device, cmd) == 2:
            for _ in range(20):
                device.sources[0].write(b"new")

    device.before_reply = overwrite
    cap = client.source_capture("ring")
    assert [r.seq for r in cap.records] == [0, 1, 2]
    assert cap.gaps == [Gap(3, 5)]
    assert count_requests(device, Cmd.SRC_CAPTURE) == 2


def test_capture_of_empty_ring(client: Client, device: FakeDevice) -> None:
    client.source_create("empty", 4, 4)
    cap = client.source_capture("empty")
    assert cap.records == [] and cap.gaps == []
    assert count_requests(device, Cmd.SRC_CAPTURE) == 1


def test_capture_across_sequence_wrap(client: Client, device: FakeDevice) -> None:
    client.source_create("wrap", 4, 4)
    device.sources[0].head = 0xFFFFFFFE
    for i in range(4):
        device.sources[0].write(bytes([i]))
    assert [r.seq for r in client.source_capture("wrap").records] == [0xFFFFFFFE, 0xFFFFFFFF,
                                                                        0, 1]


def test_self_ring(client: Client, device: FakeDevice) -> None:
    for i in range(3):
        device.self_ring.write(f"tick {i}".encode())
    assert [r.data for r in client.self_capture().records] == [b"tick 0", b"tick 1", b"tick 2"]
    assert [r.data for r in client.self_read(max_items=2).records] == [b"tick 0", b"tick 1"]
    assert [r.seq for r in client.self_read().records] == [2]


def test_list_pages() -> None:
    device = FakeDevice(frame_max=128, source_max=20)  # two sources per page
    client = make_client(device)
    for i in range(5):
        client.source_create(f"s{i}", 4, 1)
    assert [s.label for s in client.source_list()] == [f"s{i}" for i in range(5)]
    assert count_requests(device, Cmd.SRC_LIST) == 3
    client2 = make_client(FakeDevice())
    assert client2.source_list() == []


def test_triage_list() -> None:
    client = make_client(FakeDevice(triage=[(0x20000000, 16), (0x20001000, 4)]))
    assert [(r.addr, r.len) for r in client.triage_list()] == [(0x20000000, 16),
                                                                 (0x20001000, 4)]


def test_destroy(client: Client) -> None:
    client.source_create("gone", 4, 1)
    client.source_destroy("gone")
    with pytest.raises(DeviceError, match="UNKNOWN_SOURCE"):
        client.source_open("gone")


def test_reset_waits_until_device_answers(client: Client, device: FakeDevice) -> None:
    took = client.reset()
    assert device.boot_count == 2 and took >= 0
    assert [c for c, _ in device.requests][-2:] == [Cmd.RESET, Cmd.INFO]


def test_silent_device_times_out_naming_the_port(device: FakeDevice) -> None:
    device.silent = True
    client = make_client(device, timeout=0.1)
    with pytest.raises(TransportTimeoutError) as e:
        client.info()
    assert str(e.value) == "no response from fake://dev within 0.1 s"
    assert e.value.port == "fake://dev" and e.value.operation == "info"


def test_stale_responses_and_junk_are_skipped(client: Client, device: FakeDevice) -> None:
    client._next_id = 5
    stale = FakeDevice.frame(0x81, 4, 0, b"old")
    request_echo = FakeDevice.frame(0x01, 5, 0, b"")
    device.junk_before_reply = b"boot banner\r\n" + stale + request_echo + b"\x00garbage\x00"
    assert client.info().name == "fake-device"
    assert client.stale == 2


def test_only_stale_responses_time_out_with_a_note(device: FakeDevice) -> None:
    client = make_client(device, timeout=0.1)
    device.silent = True
    client.transport.pending += FakeDevice.frame(0x81, (client._next_id - 1) & 0xFF, 0, b"")
    with pytest.raises(TransportTimeoutError, match=r"skipped 1 response\(s\) to other requests"):
        client.info()


def test_response_to_another_command_is_a_protocol_error(client: Client,
                                                         device: FakeDevice) -> None:
    client._next_id = 9
    device.junk_before_reply = FakeDevice.frame(0x82, 9, 0, b"")
    with pytest.raises(ProtocolError, match="answered with command 0x82") as e:
        client.info()
    assert e.value.operation == "info"


def test_request_larger_than_frame_max_is_refused_before_sending(client: Client,
                                                                 device: FakeDevice) -> None:
    client.info()
    client.source_create("big", 256, 4)
    sent = len(device.requests)
    with pytest.raises(ProtocolError, match="frame_max of 1024"):
        client.source_write("big", bytes(2000))
    assert len(device.requests) == sent


def test_unknown_status_value_still_raises_device_error(client: Client,
                                                        device: FakeDevice) -> None:
    device.handle = lambda cmd, p: (-99, b"")  # type: ignore[method-assign]
    with pytest.raises(DeviceError) as e:
        client.info()
    assert e.value.name == "STATUS_-99" and e.value.status == -99


def test_bad_reply_length_is_a_protocol_error(client: Client, device: FakeDevice) -> None:
    device.handle = lambda cmd, p: (0, b"\x01\x00")  # type: ignore[method-assign]
    with pytest.raises(ProtocolError, match="INFO reply has 2 bytes"):
        client.info()
