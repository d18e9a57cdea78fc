# SPDX-License-Identifier: Apache-2.0
"""ProbeSession's probe selection errors, with pyOCD's probe listing faked
(real probes are not attached here; the gdbrsp e2e tests use the real path)."""
from __future__ import annotations

from types import SimpleNamespace
from typing import List

import pytest
from pyocd.core.helpers import ConnectHelper

from crashdump.cli import main
from crashdump.errors import ProbeError
from crashdump.probe.session import ProbeSession


def fake_probes(monkeypatch: pytest.MonkeyPatch, ids: List[str]) -> None:
    probes = [SimpleNamespace(unique_id=i, description="CMSIS-DAP", vendor_name="Arm",
                              product_name="DAPLink") for i in ids]
    monkeypatch.setattr(ConnectHelper, "get_all_connected_probes",
                        staticmethod(lambda **kw: [p for p in probes
                                                   if kw["unique_id"].lower() in
                                                   p.unique_id.lower()]))


def test_ambiguous_probe_names_every_match(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_probes(monkeypatch, ["0240000034544e45001a", "0240000034544e45001b", "066d"])
    with pytest.raises(ProbeError, match="2 probes match '0240'") as e:
        ProbeSession("0240").open()
    assert "0240000034544e45001a" in str(e.value) and "0240000034544e45001b" in str(e.value)
    assert e.value.hint == "give more of the unique ID"


def test_no_matching_probe(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    fake_probes(monkeypatch, ["066d"])
    assert main(["dump", "pull", "--probe", "0240", "-o", "x.cdmp"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: dump pull: no debug probe matches '0240'")
    assert "crashdump probes" in err and "Traceback" not in err


def test_pull_without_port_or_probe_names_both(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.delenv("CRASHDUMP_PORT", raising=False)
    assert main(["dump", "pull", "-o", "x.cdmp"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: dump pull: no port given")
    assert "--port URL" in err and "--probe UID" in err
