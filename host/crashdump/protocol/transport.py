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
from dataclasses import dataclass
from typing import Callable, List, Optional

import serial

from ..errors import TransportError

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


def is_device_path(url: str) -> bool:
    """A serial device (/dev/ttyACM0, COM3) rather than a pyserial URL."""
    return "://" not in url


class SerialTransport(Transport):
    """A port opened with pyserial's serial_for_url: a device path
    (/dev/ttyACM0, COM3), socket://host:port, rfc2217://host:port, loop://.

    A device path is opened exclusively: pyserial's lock (flock, honoured by
    picocom, tio and other pyserial tools) fails the open if another program
    holds one, and TIOCEXCL then keeps others from opening the port until it
    is closed, so no terminal can take bytes meant for this one. dtr and rts
    (None: pyserial's default, asserted) set the modem lines as the port
    opens, for boards whose reset or boot mode is wired to them."""

    def __init__(self, url: str, baud: int = DEFAULT_BAUD,
                 trace: Optional[TraceHook] = None, dtr: Optional[bool] = None,
                 rts: Optional[bool] = None) -> None:
        self.port = url
        self.trace = trace
        check_url(url)
        device = is_device_path(url)
        try:
            ser = serial.serial_for_url(url, baudrate=baud, timeout=_POLL_S,
                                        write_timeout=_WRITE_TIMEOUT_S, do_not_open=True,
                                        **({"exclusive": True} if device else {}))
            if dtr is not None:
                ser.dtr = dtr
            if rts is not None:
                ser.rts = rts
            ser.open()
        except (serial.SerialException, OSError, ValueError) as e:
            why = _reason(e)
            if "exclusively lock" in why:
                why = "another program has it open (a terminal, another crashdump?)"
            raise TransportError(f"cannot open {url}: {why}", port=url) from e
        self._ser: Optional[serial.SerialBase] = ser
        if device:
            _keep_others_out(ser)

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
                if is_device_path(self.port):
                    _keep_others_out(ser, exclusive=False)
                _close_socket(ser)
                ser.close()
            except (serial.SerialException, OSError):
                pass  # closing a port that already failed: nothing left to release


def _keep_others_out(ser: serial.SerialBase, exclusive: bool = True) -> None:
    """TIOCEXCL: further opens of the tty fail with EBUSY (except root's);
    TIOCNXCL before closing ends that (a tty that outlives our close, such as
    a pty, would keep it). POSIX terminals; elsewhere nothing."""
    try:
        import fcntl
        import termios
        fcntl.ioctl(ser.fileno(), termios.TIOCEXCL if exclusive else termios.TIOCNXCL)
    except (ImportError, AttributeError, OSError, ValueError, serial.SerialException):
        pass


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


def open_transport(url: str, baud: int = DEFAULT_BAUD, trace: Optional[TraceHook] = None,
                   dtr: Optional[bool] = None, rts: Optional[bool] = None) -> Transport:
    """Opens `url` (anything pyserial's serial_for_url accepts)."""
    return SerialTransport(url, baud=baud, trace=trace, dtr=dtr, rts=rts)


# ---------------------------------------------------------------- port discovery

# USB vendor IDs of debug probes with a virtual COM port, and of vendors whose
# USB CDC devices are microcontroller boards.
PROBE_VIDS = {
    0x1366: "SEGGER J-Link",
    0xC251: "Arm/Keil",
    0x0D28: "Arm DAPLink",
    0x0483: "STMicroelectronics",
    0x1FC9: "NXP (MCU-Link, LPC-Link)",
    0x1915: "Nordic Semiconductor",
    0x2E8A: "Raspberry Pi (Debug Probe, Pico)",
}
# Device names of USB CDC/ACM ports: Linux, macOS.
_CDC_ACM_NAMES = re.compile(r"^/dev/(ttyACM\d+|cu\.usbmodem.*)$")


@dataclass(frozen=True)
class PortInfo:
    """A serial port pyserial's list_ports found."""

    device: str
    description: str
    vid: Optional[int]
    pid: Optional[int]
    serial_number: Optional[str]
    manufacturer: Optional[str]
    likely: Optional[str]  # why it is likely a crashdump device (a probe's VCOM, ...), or None

    @property
    def vid_pid(self) -> Optional[str]:
        return None if self.vid is None or self.pid is None else f"{self.vid:04x}:{self.pid:04x}"


def likely_device(device: str, vid: Optional[int]) -> Optional[str]:
    """Why a port is likely a board running crashdump firmware: a debug probe's
    virtual COM port or a USB CDC/ACM device; None for other ports (built-in
    UARTs, USB-serial adapters, which may be anything)."""
    if vid is not None and vid in PROBE_VIDS:
        return PROBE_VIDS[vid]
    if _CDC_ACM_NAMES.match(device):
        return "USB CDC/ACM"
    return None


def list_ports() -> List[PortInfo]:
    """The serial ports of this machine, sorted by device name."""
    from serial.tools import list_ports as lp
    ports = []
    for p in lp.comports():
        description = p.description if p.description and p.description != "n/a" else ""
        ports.append(PortInfo(p.device, description, p.vid, p.pid, p.serial_number or None,
                              p.manufacturer or None, likely_device(p.device, p.vid)))
    return sorted(ports, key=lambda p: p.device)
