# SPDX-License-Identifier: Apache-2.0
"""Data source identity: GUIDs given as text, or derived from names.

A name becomes the RFC 4122 version-5 UUID of its UTF-8 bytes in NAMESPACE, and
its first 16 bytes become the label (docs/protocol.md, "GUIDs and labels"), so
the same name reaches the same source across resets and host restarts.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Optional, Union

from .wire import LABEL_LEN

NAMESPACE = uuid.UUID("3d5b3f6c-0c51-4b7e-9a55-6b2f4e0c8d21")


def guid_from_name(name: str) -> uuid.UUID:
    """The GUID a source called `name` has when no GUID is given."""
    return uuid.uuid5(NAMESPACE, name)


def label_from_name(name: str) -> bytes:
    """The label a source called `name` gets: its first 16 UTF-8 bytes."""
    return name.encode("utf-8")[:LABEL_LEN]


def parse_guid(text: str) -> Optional[uuid.UUID]:
    """`text` as a GUID if it is one ("00112233-4455-6677-8899-aabbccddeeff",
    also without dashes, in braces or as a urn:uuid:), else None."""
    try:
        return uuid.UUID(text.strip())
    except ValueError:
        return None


@dataclass(frozen=True)
class SourceRef:
    """A data source as the user named it: its GUID, the label to create it
    with, and the name it was given (None when given as a GUID)."""

    guid: uuid.UUID
    label: bytes
    name: Optional[str] = None

    def __str__(self) -> str:
        return repr(self.name) if self.name is not None else str(self.guid)


def resolve_source(source: Union[str, uuid.UUID, SourceRef]) -> SourceRef:
    """A NAME|GUID argument as a SourceRef: text that parses as a GUID is used
    as the GUID (with an empty label), anything else is a name."""
    if isinstance(source, SourceRef):
        return source
    if isinstance(source, uuid.UUID):
        return SourceRef(source, b"")
    guid = parse_guid(source)
    if guid is not None:
        return SourceRef(guid, b"")
    return SourceRef(guid_from_name(source), label_from_name(source), source)
