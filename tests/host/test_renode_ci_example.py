# SPDX-License-Identifier: Apache-2.0
"""examples/renode-ci and the project's own Renode suites (tests/renode) cannot
run here (no Renode), so Robot's dry run checks them: the library imports with
the suite's arguments, and every keyword called exists and takes the arguments
given (Renode's own keywords from a stub of their names,
tests/host/data/renode_stub.resource)."""
from __future__ import annotations

from pathlib import Path

import pytest

robot_running = pytest.importorskip("robot.running", reason="Robot Framework is in the test "
                                    "extra: pip install -e '.[test]'")

ROOT = Path(__file__).resolve().parents[2]
STUB = Path(__file__).with_name("data") / "renode_stub.resource"


def dry_run(suite_file: Path, tmp_path: Path) -> dict:
    suite = robot_running.TestSuiteBuilder().build(str(suite_file))
    suite.resource.imports.create(type="Resource", name=str(STUB))  # as renode-test does
    result = suite.run(dryrun=True, output=str(tmp_path / "output.xml"), log=None, report=None,
                       console="none", variable=["ELF:fw.elf"])
    return {t.name: (t.status, t.message) for t in result.suite.all_tests}


def test_the_example_suite_passes_a_dry_run(tmp_path: Path) -> None:
    results = dry_run(ROOT / "examples/renode-ci/thermostat.robot", tmp_path)
    assert len(results) == 4
    assert {name: status for name, (status, _) in results.items()} == \
        {name: "PASS" for name in results}, results


def test_the_dry_run_catches_a_misspelt_keyword(tmp_path: Path) -> None:
    text = (ROOT / "examples/renode-ci/thermostat.robot").read_text()
    broken = tmp_path / "thermostat.robot"
    broken.write_text(text.replace("Expect Crash\n", "Expect Crashes\n"))
    (tmp_path / "thermostat.resc").write_text("")
    results = dry_run(broken, tmp_path)
    status, message = results["A Hang Ends In A Watchdog Dump"]
    assert status == "FAIL" and "No keyword with name 'Expect Crashes' found" in message


@pytest.mark.parametrize("name", ["crashdump.robot", "library.robot"])
def test_the_project_suites_pass_a_dry_run(name: str, tmp_path: Path) -> None:
    results = dry_run(ROOT / "tests/renode" / name, tmp_path)
    assert results and {n: status for n, (status, _) in results.items()} == \
        {n: "PASS" for n in results}, results
