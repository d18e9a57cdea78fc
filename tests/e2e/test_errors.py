# SPDX-License-Identifier: Apache-2.0
"""Every documented device error is reachable from the host, and the device
keeps answering after each one."""
from __future__ import annotations

import struct

import pytest

from crashdump import DeviceError


def status_of(call) -> str:
    with pytest.raises(DeviceError) as e:
        call()
    return e.value.name


def test_source_errors(dev):
    info = dev.info()
    assert status_of(lambda: dev.source_open("nope")) == "UNKNOWN_SOURCE"
    assert status_of(lambda: dev.source_write("nope", b"x")) == "UNKNOWN_SOURCE"
    assert status_of(lambda: dev.source_read("nope")) == "UNKNOWN_SOURCE"
    assert status_of(lambda: dev.source_capture("nope")) == "UNKNOWN_SOURCE"
    assert status_of(lambda: dev.source_destroy("nope")) == "UNKNOWN_SOURCE"

    assert status_of(lambda: dev.source_create("big", item_size=info.item_max + 1, count=1)) \
        == "ITEM_TOO_LARGE"
    too_many = info.ring_max_bytes // 8 + 1
    assert status_of(lambda: dev.source_create("big", item_size=4, count=too_many)) \
        == "RING_TOO_LARGE"
    # count * stride wraps 32 bits: still "too large", never a tiny ring
    assert status_of(lambda: dev.source_create("big", item_size=4, count=0x20000001)) \
        == "RING_TOO_LARGE"

    dev.source_create("geo", item_size=8, count=4)
    assert status_of(lambda: dev.source_create("geo", item_size=8, count=5)) == "GEOMETRY"
    assert status_of(lambda: dev.source_write("geo", b"123456789")) == "ITEM_TOO_LARGE"

    for i in range(info.source_max - 1):
        dev.source_create(f"fill{i}", item_size=4, count=1)
    assert status_of(lambda: dev.source_create("one-too-many", item_size=4, count=1)) \
        == "SOURCE_LIMIT"
    assert len(dev.source_list()) == info.source_max


def test_protocol_level_errors(dev):
    from crashdump.protocol.wire import Cmd
    # an empty write is INVAL; a payload too short for its command is MALFORMED
    guid = dev.source_create("raw", item_size=8, count=2).guid
    assert status_of(lambda: dev.request(Cmd.SRC_WRITE, guid.bytes)) == "INVAL"
    assert status_of(lambda: dev.request(Cmd.SRC_OPEN, b"\x01" * 15)) == "MALFORMED"
    assert status_of(lambda: dev.request(Cmd.SRC_CREATE, b"\x00" * 40)) == "INVAL"  # zero GUID
    assert status_of(lambda: dev.request(0x7E, b"")) == "UNKNOWN_CMD"
    # still serving
    assert dev.info().proto_version == 1


def test_garbage_on_the_line_is_survived(dev):
    before = dev.info().rx_errors
    # raw noise, a truncated frame, and text, each ended by a delimiter
    dev.transport.write(b"\x13\x37garbage\x00" + b"\x05\x01\x02\x03" + b"\x00" + b"hello\n\x00")
    info = dev.info()
    assert info.proto_version == 1
    assert info.rx_errors >= before + 3
    # an oversize frame: more than frame_max bytes before the delimiter
    dev.transport.write(bytes([0xFF] + [0x55] * 254) * ((info.frame_max // 254) + 2) + b"\x00")
    assert dev.info().rx_errors > info.rx_errors
