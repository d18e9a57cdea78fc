# SPDX-License-Identifier: Apache-2.0
"""The crashdump exception tree: one root, one subclass per layer.

Every error the package raises is a :class:`CrashdumpError`. ``str(error)`` is
the reason ("unknown data source (UNKNOWN_SOURCE)"); ``error.operation`` names
what failed ("source open 'log'") once a layer that knows it has filled it in.
The CLI prints ``error: <operation>: <reason>``.
"""
from __future__ import annotations

from typing import Optional


class CrashdumpError(Exception):
    """Root of every error raised by the crashdump package."""

    def __init__(self, message: str, *, operation: Optional[str] = None) -> None:
        super().__init__(message)
        self.operation = operation


class TransportError(CrashdumpError):
    """The byte stream failed: the port could not be opened, read or written."""

    def __init__(self, message: str, *, port: str, operation: Optional[str] = None) -> None:
        super().__init__(message, operation=operation)
        self.port = port


class TransportTimeoutError(TransportError):
    """No (complete) response arrived from the port within the timeout."""

    def __init__(self, port: str, timeout: float, *, detail: Optional[str] = None,
                 operation: Optional[str] = None) -> None:
        message = f"no response from {port} within {timeout:g} s"
        super().__init__(f"{message} ({detail})" if detail else message, port=port,
                         operation=operation)
        self.timeout = timeout


class ProtocolError(CrashdumpError):
    """Bytes arrived but do not follow the protocol: bad frame, wrong command in
    the response, a payload of unexpected length or content."""


class DeviceError(CrashdumpError):
    """The device answered with a non-OK status."""

    def __init__(self, status: int, name: str, message: str, *,
                 operation: Optional[str] = None) -> None:
        super().__init__(f"{message} ({name})", operation=operation)
        self.status = status
        self.name = name
        self.message = message


class EmulatorError(CrashdumpError):
    """QEMU or the demo firmware build could not be started, or QEMU died."""

    def __init__(self, message: str, *, returncode: Optional[int] = None,
                 operation: Optional[str] = None, hint: Optional[str] = None) -> None:
        super().__init__(message, operation=operation)
        self.returncode = returncode
        self.hint = hint


class DumpFormatError(CrashdumpError):
    """A crash dump's bytes do not follow docs/dump-format.md."""


class ProbeError(CrashdumpError):
    """A debug-probe (pyOCD) operation failed: no or several matching probes,
    an unknown target, a failed memory transfer, no dump where one was expected.
    `hint` says what the user can do about it, when something can be said."""

    def __init__(self, message: str, *, hint: Optional[str] = None,
                 operation: Optional[str] = None) -> None:
        super().__init__(message, operation=operation)
        self.hint = hint
