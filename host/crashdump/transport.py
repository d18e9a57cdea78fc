# SPDX-License-Identifier: Apache-2.0
"""Byte streams to a device. The only module that imports pyserial.

A Transport is created open, then read and written any number of times, then
closed (close() is idempotent; Transports are context managers). Every pyserial
or OS error is wrapped in a TransportError that names the port.
"""
from __future__ import annotations

import re
import socket
import time
import urllib.parse
from typing import Callable, Optional

import serial

from .errors import TransportError

# Called with ("tx" | "rx", bytes) for every chunk written or read.
TraceHook = Callable[[str, bytes], None]

DEFAULT_BAUD = 115200

# How long one pyserial read waits at most. A response is handed on at most
# this long after its last byte arrived; the caller's timeout is separate.
_POLL_S = 0.005
_READ_CHUNK = 4096
_WRITE_TIMEOUT_S = 10.0


class Transport:
    """A byte stream to one device; the interface the protocol client uses."""

    port: str = ""
    trace: Optional[TraceHook] = None

    def write(self, data: bytes) -> None:
        """Sends all of data."""
        raise NotImplementedError

    def read(self, timeout: float) -> bytes:
        """Waits up to `timeout` seconds for bytes and returns those that have
        arrived (b"" if none did)."""
        raise NotImplementedError

    def close(self) -> None:
        """Releases the port. Safe to call more than once."""

    def __enter__(self) -> "Transport":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    """pyserial's message without its 'could not open port X:' prefix and errno tag."""
    text = str(exc) or type(exc).__name__
    text = re.sub(r"^could not open port .*?: ", "", text, flags=re.I)
    text = re.sub(r"^\[Errno -?\d+\]\s*", "", text)
    return text


_NETWORK_SCHEMES = ("socket", "rfc2217")


def check_url(url: str) -> None:
    """Raises TransportError if a network URL has no valid TCP port: pyserial
    would fail on it with a Python comparison error or an unrelated message."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme.lower() not in _NETWORK_SCHEMES:
        return
    host = parts.hostname or "127.0.0.1"
    example = f"{parts.scheme}://{f'[{host}]' if ':' in host else host}:PORT"
    try:
        port = parts.port
    except ValueError:
        port = -1
    if port is None:
        why = "the URL has no TCP port"
    elif not 0 < port < 65536:
        why = f"{parts.netloc.rpartition(':')[2]!r} is not a TCP port (1..65535)"
    else:
        return
    raise TransportError(f"cannot open {url}: {why}; write {example}", port=url)


class SerialTransport(Transport):
    """A port opened with pyserial's serial_for_url: a device path
    (/dev/ttyACM0, COM3), socket://host:port, rfc2217://host:port, loop://."""

    def __init__(self, url: str, baud: int = DEFAULT_BAUD,
                 trace: Optional[TraceHook] = None) -> None:
        self.port = url
        self.trace = trace
        check_url(url)
        try:
            self._ser: Optional[serial.SerialBase] = serial.serial_for_url(
                url, baudrate=baud, timeout=_POLL_S, write_timeout=_WRITE_TIMEOUT_S)
        except (serial.SerialException, OSError, ValueError) as e:
            raise TransportError(f"cannot open {url}: {_reason(e)}", port=url) from e

    def _open(self) -> serial.SerialBase:
        if self._ser is None:
            raise TransportError(f"{self.port} is closed", port=self.port)
        return self._ser

    def write(self, data: bytes) -> None:
        ser = self._open()
        if self.trace:
            self.trace("tx", data)
        try:
            ser.write(data)
        except serial.SerialTimeoutException as e:
            raise TransportError(f"write to {self.port} timed out after "
                                 f"{_WRITE_TIMEOUT_S:g} s", port=self.port) from e
        except (serial.SerialException, OSError) as e:
            raise TransportError(f"write to {self.port} failed: {_reason(e)}",
                                 port=self.port) from e

    def read(self, timeout: float) -> bytes:
        ser = self._open()
        deadline = time.monotonic() + timeout
        while True:
            try:
                data = ser.read(_READ_CHUNK)
            except (serial.SerialException, OSError) as e:
                raise TransportError(f"read from {self.port} failed: {_reason(e)}",
                                     port=self.port) from e
            if data:
                if self.trace:
                    self.trace("rx", data)
                return bytes(data)
            if time.monotonic() >= deadline:
                return b""

    def close(self) -> None:
        ser, self._ser = self._ser, None
        if ser is not None:
            try:
                _close_socket(ser)
                ser.close()
            except (serial.SerialException, OSError):
                pass  # closing a port that already failed: nothing left to release


def _close_socket(ser: serial.SerialBase) -> None:
    """Closes a socket:// port's socket without pyserial's close(), which then
    sleeps 0.3 s "in case of quick reconnects" (pyserial 3.5): a third of a
    second added to every command. QEMU's and Renode's UART servers take the
    next connection without that pause; the kernel queues it until they do.
    Other ports are left to their close()."""
    sock = getattr(ser, "_socket", None)
    if type(ser).__module__ != "serial.urlhandler.protocol_socket" or sock is None:
        return
    ser._socket = None  # noqa: SLF001 -- the object's close() then has nothing left to do
    ser.is_open = False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass  # the peer closed first
    sock.close()


def open_transport(url: str, baud: int = DEFAULT_BAUD,
                   trace: Optional[TraceHook] = None) -> Transport:
    """Opens `url` (anything pyserial's serial_for_url accepts)."""
    return SerialTransport(url, baud=baud, trace=trace)
