# SPDX-License-Identifier: Apache-2.0
"""Device status codes, mirroring firmware/include/crashdump/cd_status.h.

tests/host/test_format_sync.py parses the C header and fails if this table and
the header ever differ in a name, value or message.
"""
from __future__ import annotations

import enum
from typing import Dict, Tuple


class Status(enum.IntEnum):
    """A status as carried in the signed 16-bit status field of a response.

    Names drop the C prefix: ``CD_E_UNKNOWN_SOURCE`` is ``Status.UNKNOWN_SOURCE``.
    """

    OK = 0
    INVAL = -1
    MALFORMED = -2
    UNKNOWN_CMD = -3
    UNKNOWN_SOURCE = -4
    SOURCE_LIMIT = -5
    RING_TOO_LARGE = -6
    ITEM_TOO_LARGE = -7
    GEOMETRY = -8
    TRIAGE_FULL = -9
    TRIAGE_RANGE = -10
    NOT_FOUND = -11
    CONFIG = -12
    NOSPACE = -13
    CORRUPT = -14
    IO = -15
    NO_DUMP = -16
    UNSUPPORTED = -17
    STATE = -18
    EMPTY = -19
    LIB_STATE = -20


MESSAGES: Dict[Status, str] = {
    Status.OK: "ok",
    Status.INVAL: "invalid argument",
    Status.MALFORMED: "malformed request payload",
    Status.UNKNOWN_CMD: "unknown command",
    Status.UNKNOWN_SOURCE: "unknown data source",
    Status.SOURCE_LIMIT: "data source limit reached",
    Status.RING_TOO_LARGE: "ring too large",
    Status.ITEM_TOO_LARGE: "item too large",
    Status.GEOMETRY: "source exists with a different geometry",
    Status.TRIAGE_FULL: "triage table full",
    Status.TRIAGE_RANGE: "range outside the memory map",
    Status.NOT_FOUND: "no such entry",
    Status.CONFIG: "invalid configuration",
    Status.NOSPACE: "storage too small",
    Status.CORRUPT: "corrupt data",
    Status.IO: "device I/O error",
    Status.NO_DUMP: "no dump stored",
    Status.UNSUPPORTED: "not supported by this build",
    Status.STATE: "not allowed in the current state",
    Status.EMPTY: "ring is empty",
    Status.LIB_STATE: "crashdump's own state was overwritten",
}


def describe(value: int) -> Tuple[str, str]:
    """Returns (NAME, message) for a status value; values this host does not
    know (a newer firmware) get ("STATUS_<value>", "unknown status")."""
    try:
        status = Status(value)
    except ValueError:
        return f"STATUS_{value}", "unknown status"
    return status.name, MESSAGES[status]
