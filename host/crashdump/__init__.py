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

The names below are imported on first use, so that `crashdump info` loads
only the modules it needs (the CLI's start-up time is most of a command's).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:
    from .client import Capture, Client, Gap, ReadResult
    from .emulate import BOARDS, Board, Emulator
    from .errors import (CrashdumpError, DeviceError, DumpFormatError, EmulatorError,
                         ProbeError, ProtocolError, TransportError, TransportTimeoutError)
    from .formats import Caps, DeviceInfo, Range, Record, SourceInfo
    from .guid import SourceRef, guid_from_name, parse_guid, resolve_source
    from .status import Status
    from .transport import SerialTransport, Transport, open_transport

_EXPORTS: Dict[str, List[str]] = {
    "client": ["Capture", "Client", "Gap", "ReadResult"],
    "emulate": ["BOARDS", "Board", "Emulator"],
    "errors": ["CrashdumpError", "DeviceError", "DumpFormatError", "EmulatorError", "ProbeError",
               "ProtocolError", "TransportError", "TransportTimeoutError"],
    "formats": ["Caps", "DeviceInfo", "Range", "Record", "SourceInfo"],
    "guid": ["SourceRef", "guid_from_name", "parse_guid", "resolve_source"],
    "status": ["Status"],
    "transport": ["SerialTransport", "Transport", "open_transport"],
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF) + ["__version__"]


def _package_version() -> str:
    """The VERSION file at the repository root, through the package metadata."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("crashdump")
    except PackageNotFoundError:  # pragma: no cover - run from a source tree without install
        return "0.0.0"


def __getattr__(name: str) -> Any:
    if name == "__version__":
        value: Any = _package_version()
    elif name in _MODULE_OF:
        value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> List[str]:
    return sorted(set(globals()) | set(__all__))
