# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import socket
import threading
import time
from typing import Iterator, List, Tuple

import pytest

from crashdump import Client, TransportError, TransportTimeoutError
from crashdump.protocol.transport import open_transport

from .fake_device import FakeDevice, FakeServer


@pytest.fixture
def mute_listener() -> Iterator[str]:
    """A socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    yield f"socket://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_silent_port_times_out_naming_the_port(mute_listener: str) -> None:
    with Client.open(mute_listener, timeout=0.2) as client:
        with pytest.raises(TransportTimeoutError) as e:
            client.info()
    assert mute_listener in str(e.value)
    assert e.value.port == mute_listener and e.value.operation == "info"


def test_refused_port_is_a_transport_error_naming_the_port() -> None:
    url = f"socket://127.0.0.1:{closed_port()}"
    with pytest.raises(TransportError) as e:
        Client.open(url)
    assert not isinstance(e.value, TransportTimeoutError)
    assert str(e.value) == f"cannot open {url}: Connection refused"
    assert e.value.port == url


@pytest.mark.parametrize("url", ["nosuchscheme://x", "/dev/nonexistent-crashdump-tty"])
def test_bad_urls_are_transport_errors(url: str) -> None:
    with pytest.raises(TransportError, match="cannot open"):
        open_transport(url)


def test_peer_closing_is_a_transport_error() -> None:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    url = f"socket://127.0.0.1:{sock.getsockname()[1]}"

    def accept_and_close() -> None:
        conn, _ = sock.accept()
        conn.close()

    t = threading.Thread(target=accept_and_close)
    t.start()
    with Client.open(url, timeout=1.0) as client:
        t.join()
        with pytest.raises(TransportError, match=f"read from {url} failed") as e:
            client.info()
    assert e.value.operation == "info"
    sock.close()


def test_real_socket_round_trip_and_trace(device: FakeDevice) -> None:
    seen: List[Tuple[str, bytes]] = []
    with FakeServer(device) as server:
        with Client.open(server.url, trace=lambda d, b: seen.append((d, b))) as client:
            assert client.info().name == "fake-device"
    assert seen[0][0] == "tx" and seen[-1][0] == "rx"
    assert b"".join(b for d, b in seen if d == "rx").endswith(b"\x00")


def test_close_is_idempotent_and_use_after_close_fails(device: FakeDevice) -> None:
    with FakeServer(device) as server:
        t = open_transport(server.url)
        t.close()
        t.close()
        with pytest.raises(TransportError, match="closed"):
            t.write(b"x")


def test_socket_close_does_not_wait(device: FakeDevice) -> None:
    """pyserial's socket:// close() sleeps 0.3 s; every CLI command closes its
    port once, so the transport closes the socket itself."""
    with FakeServer(device) as server:
        for _ in range(3):  # reconnecting at once works: the server is not given time
            with Client.open(server.url) as client:
                assert client.info().name == "fake-device"
                start = time.monotonic()
            assert time.monotonic() - start < 0.1
