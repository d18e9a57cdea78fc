# SPDX-License-Identifier: Apache-2.0
"""crashdump.robot.CrashdumpLibrary's logic without Robot: a fake Robot context
(variables, log) and a fake device on a TCP socket, as Renode's server socket
terminal would be. tests/e2e/test_robot_library.py runs it in Robot for real."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Dict, List, Optional

import pytest

from crashdump.robot import CrashdumpKeywordError, CrashdumpLibrary, RobotContext

from .fake_device import FakeServer
from .test_dump_cli import DumpDevice


class FakeContext:
    def __init__(self, output_dir: Path) -> None:
        self.variables: Dict[str, Optional[str]] = {
            "OUTPUT_DIR": str(output_dir), "LOG_FILE": str(output_dir / "log.html"),
            "SUITE_NAME": "Renode.App", "TEST_NAME": "Boots"}
        self.logged: List[str] = []

    def variable(self, name: str) -> Optional[str]:
        return self.variables.get(name)

    def log_html(self, text: str) -> None:
        self.logged.append(text)


@pytest.fixture
def device() -> DumpDevice:
    """conftest's `server` serves this device."""
    return DumpDevice()


@pytest.fixture
def ctx(tmp_path: Path) -> FakeContext:
    return FakeContext(tmp_path)


def library(ctx: FakeContext, **options: object) -> CrashdumpLibrary:
    lib = CrashdumpLibrary(**options)  # type: ignore[arg-type]
    lib._context = ctx  # type: ignore[assignment]  # noqa: SLF001
    return lib


def start_test(lib: CrashdumpLibrary, ctx: FakeContext, name: str) -> None:
    ctx.variables["TEST_NAME"] = name
    lib.ROBOT_LIBRARY_LISTENER.start_test(name, {})


def test_unexpected_crash_fails_with_summaries_and_logs_links(
        server: FakeServer, ctx: FakeContext, tmp_path: Path) -> None:
    lib = library(ctx, port=server.url, timeout="1")
    with pytest.raises(AssertionError) as e:
        lib.check_for_crashes()
    lines = str(e.value).splitlines()
    assert lines[0] == "unexpected 2 crashes:"
    assert lines[1].endswith("(report: crashdumps/Renode.App-Boots-slot0.txt)")
    assert lines[2].endswith("(report: crashdumps/Renode.App-Boots-slot2.txt)")
    assert len(ctx.logged) == 2
    for slot, html in zip((0, 2), ctx.logged):
        assert html.startswith("<b>crash: ")
        for suffix in ("cdmp", "txt", "json"):
            link = f"crashdumps/Renode.App-Boots-slot{slot}.{suffix}"
            assert f'href="{link}"' in html
            assert (tmp_path / link).is_file()
        assert "<pre>crash: " in html
    # still on the device: reported in this test already
    lib.check_for_crashes()
    assert len(ctx.logged) == 2
    # a new test may be a fresh emulation that crashed the same way: reported again
    start_test(lib, ctx, "Next")
    with pytest.raises(AssertionError, match="^unexpected 2 crashes:"):
        lib.check_for_crashes()
    assert len(ctx.logged) == 4


def test_dedupe_suite_reports_a_dump_once_per_run(server: FakeServer, ctx: FakeContext) -> None:
    lib = library(ctx, port=server.url, dedupe="suite")
    assert len(lib.pull_crash_dumps()) == 2
    start_test(lib, ctx, "Next")
    lib.check_for_crashes()  # the same dumps, still in flash: not new
    assert len(ctx.logged) == 2


def test_dedupe_must_be_test_or_suite(ctx: FakeContext) -> None:
    with pytest.raises(ValueError, match="dedupe='run': give test or suite"):
        library(ctx, port="socket://127.0.0.1:1", dedupe="run")


def test_links_are_relative_to_the_log_file(server: FakeServer, ctx: FakeContext,
                                            tmp_path: Path) -> None:
    ctx.variables["LOG_FILE"] = str(tmp_path / "logs" / "log.html")
    ctx.variables["TEST_NAME"] = "A test: with <odd> chars"
    lib = library(ctx, port=server.url, folder=str(tmp_path / "dumps"))
    crashes = lib.pull_crash_dumps()
    assert crashes[0]["file"] == str(tmp_path / "dumps" / "Renode.App-A_test_with_odd_chars-slot0.cdmp")
    assert 'href="../dumps/Renode.App-A_test_with_odd_chars-slot0.txt"' in ctx.logged[0]


def test_renode_test_writes_next_to_its_output_file(server: FakeServer, ctx: FakeContext,
                                                    tmp_path: Path) -> None:
    # renode-test runs Robot without a log file, the output file in its results
    # folder and ${OUTPUT DIR} wherever it was started; rebot writes the log
    # next to the output file afterwards
    ctx.variables.update(LOG_FILE=None, OUTPUT_DIR=str(tmp_path / "cwd"),
                         OUTPUT_FILE=str(tmp_path / "results" / "results-app.robot.xml"))
    lib = library(ctx, port=server.url)
    crashes = lib.pull_crash_dumps()
    assert Path(crashes[0]["file"]).parent == tmp_path / "results" / "crashdumps"
    assert 'href="crashdumps/Renode.App-Boots-slot0.cdmp"' in ctx.logged[0]


def test_expected_crashes(server: FakeServer, ctx: FakeContext) -> None:
    lib = library(ctx, port=server.url, dedupe="suite")  # the fake keeps its dumps
    lib.expect_crash(2)
    lib.check_for_crashes()  # both dumps, both expected
    start_test(lib, ctx, "Second")
    lib.expect_crash()
    with pytest.raises(AssertionError, match=r"^0 crash dump\(s\) in this test where 1 expected$"):
        lib.check_for_crashes()
    # the expectation ends with the test that made it
    start_test(lib, ctx, "Third")
    lib.check_for_crashes()


def test_too_many_crashes_for_the_expectation(server: FakeServer, ctx: FakeContext) -> None:
    lib = library(ctx, port=server.url)
    with pytest.raises(AssertionError, match=r"^2 crash dump\(s\) in this test where 1 expected:"):
        lib.check_for_crashes(expected=1)


def test_a_test_that_pulls_its_dumps_itself(server: FakeServer, ctx: FakeContext) -> None:
    lib = library(ctx, port=server.url)
    crashes = lib.pull_crash_dumps()
    assert [c["slot"] for c in crashes] == [0, 2]
    assert crashes[0]["report"]["summary"] == crashes[0]["summary"]
    assert crashes[0]["text"].startswith("crash: ")
    lib.check_for_crashes()  # nothing new: passes
    lib.check_for_crashes(expected=2)  # two pulled in this test


def test_erase_after_pull(server: FakeServer, device: DumpDevice, ctx: FakeContext) -> None:
    lib = library(ctx, port=server.url, erase=True)
    lib.pull_crash_dumps()
    assert [slot for slot, _, _ in device.erased] == [0, 2]


def test_set_crashdump_device_switches_source_and_elf(server: FakeServer, ctx: FakeContext,
                                                      tmp_path: Path) -> None:
    lib = library(ctx, probe="gdbrsp:127.0.0.1:1")
    lib.set_crashdump_device(port=server.url, elf=str(tmp_path / "missing.elf"))
    assert (lib.port, lib.probe) == (server.url, None)
    with pytest.raises(CrashdumpKeywordError, match=r"missing.elf does not exist"):
        lib.pull_crash_dumps()


def test_device_errors_are_one_line_keyword_failures(ctx: FakeContext) -> None:
    with pytest.raises(CrashdumpKeywordError, match="^no device: give port= or probe="):
        library(ctx).check_for_crashes()
    with FakeServer(DumpDevice()) as s:
        s.device.silent = True
        lib = library(ctx, port=s.url, timeout=0.3)
        with pytest.raises(CrashdumpKeywordError) as e:
            lib.check_for_crashes()
    assert str(e.value).startswith(f"crash dumps from {s.url}: dump status: no response "
                                   f"from {s.url} within 0.3 s")
    assert "\n" not in str(e.value)
    assert CrashdumpKeywordError.ROBOT_SUPPRESS_NAME


def test_importing_the_library_does_not_import_robot() -> None:
    code = ("import sys; import crashdump.robot; "
            "assert not [m for m in sys.modules if m == 'robot' or m.startswith('robot.')]")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_without_robot_the_keywords_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "robot", None)  # import robot -> ImportError
    monkeypatch.setitem(sys.modules, "robot.api", None)
    with pytest.raises(CrashdumpKeywordError, match=r"pip install 'crashdump\[robot\]'"):
        RobotContext()
    with pytest.raises(CrashdumpKeywordError, match="Robot Framework is not installed"):
        CrashdumpLibrary(port="socket://127.0.0.1:1").pull_crash_dumps()
