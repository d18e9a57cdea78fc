# SPDX-License-Identifier: Apache-2.0
"""Serial port discovery (`crashdump ports`, the one likely device used without
--port), exclusive opening, DTR/RTS and CRASHDUMP_BAUD. pyserial's list_ports
is replaced by a fixed list; the ports opened are real (a socket, a pty)."""
from __future__ import annotations

import json
import os
import sys
from typing import Any, Dict, List, Optional, Tuple

import pytest
from serial.tools import list_ports_common

from crashdump import TransportError
from crashdump.cli import commands, main
from crashdump.protocol.transport import likely_device, list_ports, open_transport

from .fake_device import FakeServer


def port(device: str, vid: Optional[int] = None, pid: int = 0x0105, serial: str = "",
         description: str = "n/a") -> list_ports_common.ListPortInfo:
    info = list_ports_common.ListPortInfo(device)
    info.vid, info.pid = vid, pid if vid is not None else None
    info.serial_number = serial or None
    info.description = description
    return info


@pytest.fixture
def ports(monkeypatch: pytest.MonkeyPatch) -> List[list_ports_common.ListPortInfo]:
    """The machine's serial ports, as the test sets them."""
    found: List[list_ports_common.ListPortInfo] = []
    monkeypatch.setattr("serial.tools.list_ports.comports", lambda: list(found))
    monkeypatch.delenv(commands.PORT_ENV, raising=False)
    monkeypatch.delenv(commands.BAUD_ENV, raising=False)
    return found


def run(capsys: pytest.CaptureFixture, *argv: str) -> Tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("device,vid,why", [
    ("/dev/ttyACM3", None, "USB CDC/ACM"),
    ("/dev/cu.usbmodem1421", None, "USB CDC/ACM"),
    ("/dev/ttyUSB0", 0x1366, "SEGGER J-Link"),
    ("COM7", 0x0D28, "Arm DAPLink"),
    ("/dev/ttyACM0", 0x2E8A, "Raspberry Pi (Debug Probe, Pico)"),
    ("/dev/ttyUSB0", 0x0403, None),   # an FTDI adapter: could be anything
    ("/dev/ttyS0", None, None),
    ("/dev/ttyACM", None, None),
])
def test_likely_device_rules(device: str, vid: Optional[int], why: Optional[str]) -> None:
    assert likely_device(device, vid) == why


def test_ports_lists_text_and_json(capsys: pytest.CaptureFixture, ports: List[Any]) -> None:
    ports += [port("/dev/ttyS0"),
              port("/dev/ttyACM0", 0x1366, 0x1015, "000683000123", "J-Link - CDC")]
    assert [p.device for p in list_ports()] == ["/dev/ttyACM0", "/dev/ttyS0"]
    code, out, err = run(capsys, "ports")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[1].split() == ["*", "/dev/ttyACM0", "1366:1015", "000683000123", "J-Link", "-",
                                "CDC", "[SEGGER", "J-Link]"]
    assert lines[2].split() == ["/dev/ttyS0", "-", "-", "-"]
    assert lines[-1] == "* likely a board: used without --port"
    code, out, _ = run(capsys, "ports", "--json")
    doc = json.loads(out)
    assert doc["ports"][0] == {"device": "/dev/ttyACM0", "description": "J-Link - CDC",
                               "vid_pid": "1366:1015", "serial_number": "000683000123",
                               "manufacturer": None, "likely": True,
                               "why_likely": "SEGGER J-Link"}
    assert doc["ports"][1]["likely"] is False and doc["ports"][1]["vid_pid"] is None


def test_ports_offers_no_device_options(capsys: pytest.CaptureFixture, ports: List[Any]) -> None:
    code, _, err = run(capsys, "ports", "--port", "/dev/ttyACM0")
    assert code == 2 and "unrecognized arguments: --port" in err


def test_the_one_likely_device_is_used_and_named(capsys: pytest.CaptureFixture,
                                                  ports: List[Any], server: FakeServer) -> None:
    # A socket stands in for the device, so that the command really talks to it.
    ports += [port("/dev/ttyS0"), port(server.url, 0x1366, 0x1015, "42", "J-Link - CDC")]
    code, out, err = run(capsys, "info")
    assert code == 0, err
    assert "fake-device" in out
    assert err == f"using {server.url} (J-Link - CDC, 1366:1015, serial 42) (the one likely " \
                  "device; --port chooses another)\n"


def test_environment_port_wins_over_discovery(capsys: pytest.CaptureFixture, ports: List[Any],
                                              server: FakeServer,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    ports += [port("/dev/ttyACM0"), port("/dev/ttyACM1")]
    monkeypatch.setenv(commands.PORT_ENV, server.url)
    code, out, err = run(capsys, "info")
    assert code == 0 and err == "" and "fake-device" in out


def test_several_likely_devices_are_an_error_listing_them(capsys: pytest.CaptureFixture,
                                                          ports: List[Any]) -> None:
    ports += [port("/dev/ttyACM1", 0x0483, 0x374B, "066D", "STM32 STLink"),
              port("/dev/ttyACM0", 0x1366, 0x1015, "42", "J-Link - CDC"), port("/dev/ttyS0")]
    code, out, err = run(capsys, "info")
    assert code == 2 and out == ""
    lines = err.splitlines()
    assert lines[0] == "error: info: no port given, and 2 serial ports look like devices: " \
                       "/dev/ttyACM0, /dev/ttyACM1"
    assert lines[1].startswith("hint: pass --port URL")
    assert lines[2:] == ["  /dev/ttyACM0 (J-Link - CDC, 1366:1015, serial 42)",
                         "  /dev/ttyACM1 (STM32 STLink, 0483:374b, serial 066D)"]


def test_no_likely_device_is_an_error_naming_the_ports(capsys: pytest.CaptureFixture,
                                                       ports: List[Any]) -> None:
    code, _, err = run(capsys, "info")
    assert code == 2
    assert err.startswith("error: info: no port given, and this machine has no serial ports\n")
    ports += [port("/dev/ttyS0"), port("/dev/ttyUSB0", 0x0403, 0x6001)]
    code, _, err = run(capsys, "dump", "pull", "-o", "x.cdmp")
    assert code == 2
    assert err.splitlines()[0] == "error: dump pull: no port given, and none of the serial " \
        "ports (/dev/ttyS0, /dev/ttyUSB0) looks like a board (a debug probe's VCOM or a USB " \
        "CDC/ACM device)"
    assert "--probe UID" in err


def test_baud_environment_and_modem_lines_reach_the_port(
        capsys: pytest.CaptureFixture, monkeypatch: pytest.MonkeyPatch, ports: List[Any],
        server: FakeServer) -> None:
    opened: List[Dict[str, Any]] = []
    real_open = commands.Client.open

    def spy(port: str, **kw: Any) -> Any:
        opened.append(kw)
        return real_open(port, **kw)

    monkeypatch.setattr(commands.Client, "open", spy)
    monkeypatch.setenv(commands.BAUD_ENV, "921600")
    assert run(capsys, "--port", server.url, "--dtr", "off", "info", "--rts", "on")[0] == 0
    assert (opened[-1]["baud"], opened[-1]["dtr"], opened[-1]["rts"]) == (921600, False, True)
    assert run(capsys, "--port", server.url, "-b", "9600", "info")[0] == 0
    assert (opened[-1]["baud"], opened[-1]["dtr"], opened[-1]["rts"]) == (9600, None, None)
    monkeypatch.setenv(commands.BAUD_ENV, "fast")
    code, _, err = run(capsys, "--port", server.url, "info")
    assert code == 2 and "CRASHDUMP_BAUD='fast' is not a baud rate" in err
    code, _, err = run(capsys, "--port", server.url, "--dtr", "maybe", "info")
    assert code == 2 and "invalid choice: 'maybe'" in err


def test_modem_lines_are_set_as_the_port_opens() -> None:
    with open_transport("loop://", dtr=False, rts=True) as t:
        assert (t._ser.dtr, t._ser.rts) == (False, True)  # type: ignore[attr-defined]
    with open_transport("loop://") as t:
        assert (t._ser.dtr, t._ser.rts) == (True, True)  # type: ignore[attr-defined]


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_a_device_path_is_opened_exclusively() -> None:
    master, slave = os.openpty()
    path = os.ttyname(slave)
    os.close(slave)
    try:
        with open_transport(path):
            with pytest.raises(TransportError) as e:
                open_transport(path)
            assert str(e.value) == f"cannot open {path}: another program has it open (a " \
                                   "terminal, another crashdump?)"
            if sys.platform == "linux":  # TIOCEXCL: other opens fail with EBUSY (but root's)
                assert tty_exclusive(path)
        with open_transport(path):  # released on close
            pass
        if sys.platform == "linux":
            assert not tty_exclusive(path)
    finally:
        os.close(master)


def tty_exclusive(path: str) -> bool:
    """Linux's TIOCGEXCL (_IOR('T', 0x40, int)): whether the tty is in exclusive mode."""
    import fcntl
    import struct
    fd = os.open(path, os.O_RDWR | os.O_NOCTTY)  # root may open it even so
    try:
        return struct.unpack("i", fcntl.ioctl(fd, 0x80045440, bytes(4)))[0] != 0
    finally:
        os.close(fd)
