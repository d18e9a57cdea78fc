# SPDX-License-Identifier: Apache-2.0
"""crashdump host tool: talk to crashdump firmware over a serial link, or run it in QEMU.

    from crashdump import Client
    with Client.open("socket://127.0.0.1:4321") as dev:
        dev.source_create("sensor", item_size=32, count=16)
        dev.source_write("sensor", b"hello")
        for record in dev.source_capture("sensor").records:
            print(record.seq, record.data)

Layers, each a subpackage importing only from those before it (checked by
tests/host/test_layers.py): errors -> protocol (the device protocol; pyserial) ->
dumpfile (the dump file format) -> decode -> probe (pyOCD) -> gdbserver -> pull
(where dumps come from: serial or probe) -> harness (QEMU, collect, Robot,
pytest) -> cli.

The names below are imported on first use, so that `crashdump info` loads
only the modules it needs (the CLI's start-up time is most of a command's).
"""
from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Dict, List

if TYPE_CHECKING:
    from .errors import (CrashdumpError, DeviceError, DumpFormatError, EmulatorError,
                         ProbeError, ProtocolError, TransportError, TransportTimeoutError)
    from .harness.emulate import BOARDS, Board, Emulator
    from .protocol.client import Capture, Client, Gap, ReadResult
    from .protocol.guid import SourceRef, guid_from_name, parse_guid, resolve_source
    from .protocol.status import Status
    from .protocol.transport import SerialTransport, Transport, open_transport
    from .protocol.wire import Caps, DeviceInfo, Range, Record, SourceInfo

_EXPORTS: Dict[str, List[str]] = {
    "errors": ["CrashdumpError", "DeviceError", "DumpFormatError", "EmulatorError", "ProbeError",
               "ProtocolError", "TransportError", "TransportTimeoutError"],
    "harness.emulate": ["BOARDS", "Board", "Emulator"],
    "protocol.client": ["Capture", "Client", "Gap", "ReadResult"],
    "protocol.guid": ["SourceRef", "guid_from_name", "parse_guid", "resolve_source"],
    "protocol.status": ["Status"],
    "protocol.transport": ["SerialTransport", "Transport", "open_transport"],
    "protocol.wire": ["Caps", "DeviceInfo", "Range", "Record", "SourceInfo"],
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
