# SPDX-License-Identifier: Apache-2.0
"""crashdump host tool: talk to crashdump firmware over a serial link, or run it in QEMU.

    from crashdump import Client
    with Client.open("socket://127.0.0.1:4321") as dev:
        dev.source_create("sensor", item_size=32, count=16)
        dev.source_write("sensor", b"hello")
        for record in dev.source_capture("sensor").records:
            print(record.seq, record.data)

Layers, each importing only those before it: errors, status -> formats -> guid,
framing -> transport (pyserial) -> client -> render -> cli; emulate (QEMU) stands
beside them and imports only errors.
"""
from .client import Capture, Client, Gap, ReadResult
from .emulate import BOARDS, Board, Emulator
from .errors import (CrashdumpError, DeviceError, DumpFormatError, EmulatorError, ProbeError,
                     ProtocolError, TransportError, TransportTimeoutError)
from .formats import Caps, DeviceInfo, Range, Record, SourceInfo
from .guid import SourceRef, guid_from_name, parse_guid, resolve_source
from .status import Status
from .transport import SerialTransport, Transport, open_transport

try:  # the VERSION file at the repository root, through the package metadata
    from importlib.metadata import PackageNotFoundError, version as _version
    __version__ = _version("crashdump")
except PackageNotFoundError:  # pragma: no cover - run from a source tree without install
    __version__ = "0.0.0"

__all__ = [
    "BOARDS", "Board", "Capture", "Caps", "Client", "CrashdumpError", "DeviceError",
    "DeviceInfo", "DumpFormatError", "Emulator", "EmulatorError", "Gap", "ProbeError",
    "ProtocolError", "Range", "ReadResult", "Record", "SerialTransport", "SourceInfo",
    "SourceRef", "Status", "Transport", "TransportError", "TransportTimeoutError",
    "guid_from_name", "open_transport", "parse_guid", "resolve_source", "__version__",
]
