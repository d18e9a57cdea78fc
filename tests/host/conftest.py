# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import types
from typing import Iterator

import pytest
from serial.urlhandler import protocol_socket

from crashdump import Client

from .fake_device import FakeDevice, FakeServer, FakeTransport


@pytest.fixture(autouse=True)
def no_socket_close_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """pyserial's socket:// close() sleeps 0.3 s for servers that re-accept
    slowly; the fake server does not need it, and the CLI tests open many."""
    monkeypatch.setattr(protocol_socket, "time", types.SimpleNamespace(sleep=lambda s: None))


@pytest.fixture
def device() -> FakeDevice:
    return FakeDevice()


@pytest.fixture
def client(device: FakeDevice) -> Iterator[Client]:
    with Client(FakeTransport(device), timeout=0.3) as c:
        yield c


@pytest.fixture
def server(device: FakeDevice) -> Iterator[FakeServer]:
    with FakeServer(device) as s:
        yield s
