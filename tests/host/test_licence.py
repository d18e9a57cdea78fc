# SPDX-License-Identifier: Apache-2.0
"""Every source file the project ships carries its SPDX licence identifier in
its first lines, and the licence is the one LICENSE and pyproject.toml name."""
from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TAG = "SPDX-License-Identifier: Apache-2.0"
SOURCE_SUFFIXES = {".c", ".h", ".S", ".ld", ".inc", ".py", ".sh", ".cmake", ".txt", ".yml",
                   ".toml", ".robot", ".resource", ".resc", ".repl", ".in"}


def tracked_sources() -> list:
    try:
        out = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True,
                             text=True, check=True).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    paths = [ROOT / f for f in out]
    return [p for p in paths if p.is_file() and "corpus" not in p.parts
            and (p.suffix in SOURCE_SUFFIXES or p.parent.name == ".ci")]


def test_every_source_file_has_an_spdx_identifier() -> None:
    files = tracked_sources()
    assert len(files) > 100
    missing = [str(p.relative_to(ROOT)) for p in files
               if TAG not in "".join(p.read_text(errors="replace").splitlines(True)[:4])]
    assert missing == []


def test_licence_is_apache_2() -> None:
    assert "Apache License" in (ROOT / "LICENSE").read_text()
    assert "Version 2.0" in (ROOT / "LICENSE").read_text()
    assert 'license = "Apache-2.0"' in (ROOT / "pyproject.toml").read_text()
