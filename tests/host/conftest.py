# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

from typing import Iterator

import pytest

from crashdump import Client

from .fake_device import FakeDevice, FakeServer, FakeTransport


@pytest.fixture(autouse=True)
def no_serial_ports(monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine's serial ports stay out of unit tests: a command without
    --port would otherwise pick a board plugged into the machine running them."""
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: [])


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
