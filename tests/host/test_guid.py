# SPDX-License-Identifier: Apache-2.0
from __future__ import annotations

import hashlib
import uuid

from crashdump.protocol.guid import (NAMESPACE, SourceRef, guid_from_name, label_from_name,
                                     parse_guid, resolve_source)

SPEC_NAMESPACE = "3d5b3f6c-0c51-4b7e-9a55-6b2f4e0c8d21"  # docs/protocol.md


def uuid5_by_hand(namespace: str, name: str) -> uuid.UUID:
    """RFC 4122 section 4.3, without the uuid module's uuid5()."""
    digest = bytearray(hashlib.sha1(bytes.fromhex(namespace.replace("-", "")) +
                                    name.encode("utf-8")).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    return uuid.UUID(bytes=bytes(digest))


def test_namespace_is_the_documented_one() -> None:
    assert NAMESPACE == uuid.UUID(SPEC_NAMESPACE)


def test_guid_from_name_matches_rfc4122_v5() -> None:
    for name in ["sensor", "log", "", "ünïcödé name", "x" * 100]:
        assert guid_from_name(name) == uuid5_by_hand(SPEC_NAMESPACE, name)
    # Fixed value, so a change of namespace or algorithm cannot go unnoticed.
    assert str(guid_from_name("sensor")) == "bf7d76d0-9c0d-5d30-a68e-5c4f38643330"


def test_label_is_first_16_utf8_bytes() -> None:
    assert label_from_name("sensor") == b"sensor"
    assert label_from_name("a-very-long-source-name") == b"a-very-long-sour"
    assert label_from_name("ééééééééé") == "ééééééééé".encode()[:16]


def test_parse_guid_forms() -> None:
    g = uuid.UUID("00112233-4455-6677-8899-aabbccddeeff")
    for text in ["00112233-4455-6677-8899-aabbccddeeff", "00112233445566778899AABBCCDDEEFF",
                 "{00112233-4455-6677-8899-aabbccddeeff}",
                 "urn:uuid:00112233-4455-6677-8899-aabbccddeeff"]:
        assert parse_guid(text) == g
    for text in ["sensor", "00112233-4455", "deadbeef", ""]:
        assert parse_guid(text) is None


def test_resolve_source() -> None:
    ref = resolve_source("sensor")
    assert ref == SourceRef(uuid5_by_hand(SPEC_NAMESPACE, "sensor"), b"sensor", "sensor")
    assert str(ref) == "'sensor'"
    g = uuid.UUID(int=5)
    assert resolve_source(str(g)) == SourceRef(g, b"")
    assert resolve_source(g) == SourceRef(g, b"")
    assert str(resolve_source(g)) == str(g)
    assert resolve_source(ref) is ref
