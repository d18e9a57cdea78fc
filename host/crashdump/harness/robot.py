# SPDX-License-Identifier: Apache-2.0
"""Crash dumps in Robot Framework suites (Renode's renode-test, or any other):

    *** Settings ***
    Library          crashdump.robot.CrashdumpLibrary    elf=${ELF}    port=socket://127.0.0.1:3456
    Test Teardown    Check For Crashes

Robot Framework is not a dependency of the crashdump package (install
`crashdump[robot]`, or use the Robot that renode-test brings); this module
imports it only when a keyword runs. docs/renode-ci.md has the whole story.
"""
from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Any, Dict, List, Optional
from urllib.parse import quote

from ..errors import CrashdumpError
from .collect import Collector, Crash, safe_name


class CrashdumpKeywordError(RuntimeError):
    """A keyword could not do its job (device unreachable, bad ELF...)."""

    ROBOT_SUPPRESS_NAME = True  # Robot shows the message without the class name


class RobotContext:
    """What the library takes from a running Robot: variables and the log."""

    def __init__(self) -> None:
        try:
            from robot.api import logger
            from robot.libraries.BuiltIn import BuiltIn
        except ImportError:
            raise CrashdumpKeywordError("Robot Framework is not installed: pip install "
                                        "'crashdump[robot]'") from None
        self._logger, self._builtin = logger, BuiltIn()

    def variable(self, name: str) -> Optional[str]:
        value = self._builtin.get_variable_value("${%s}" % name)
        return None if value in (None, "NONE") else str(value)

    def log_html(self, text: str) -> None:
        self._logger.info(text, html=True)


class _Listener:
    """Forgets the last test's crashes and expectations when a test starts
    (and which dumps were reported, unless dedupe is "suite")."""

    ROBOT_LISTENER_API_VERSION = 2

    def __init__(self, library: "CrashdumpLibrary") -> None:
        self.library = library

    def start_test(self, name: str, attrs: Dict[str, Any]) -> None:
        self.library._expected = None  # noqa: SLF001
        self.library._pulled = 0  # noqa: SLF001
        if self.library.dedupe == "test":
            self.library._collector.seen.clear()  # noqa: SLF001


class CrashdumpLibrary:
    """Pulls a device's crash dumps, decodes them against the firmware ELF and
    puts the reports and dump files into Robot's log.

    Import it with where the device is and what it runs:

    | Library | crashdump.robot.CrashdumpLibrary | elf=${ELF} | port=socket://127.0.0.1:3456 |
    | Library | crashdump.robot.CrashdumpLibrary | elf=${ELF} | probe=gdbrsp:127.0.0.1:3333 |

    - ``port``: the device's serial port as pyserial opens it: a Renode
      ``emulation CreateServerSocketTerminal`` is ``socket://127.0.0.1:PORT``.
      Dumps are pulled with the crashdump protocol, so the firmware must be up
      and serving it (it reboots after a crash).
    - ``probe``: a pyOCD probe, e.g. ``gdbrsp:127.0.0.1:3333`` for Renode's
      ``machine StartGdbServer 3333``: reads the dumps from flash, which also
      works when the firmware no longer talks. Give ``elf`` (its
      ``cd_dump_locator`` symbol says where the dumps are) or ``board``.
      When both are set, ``probe`` is used.
    - ``elf``: the firmware, for symbols and backtraces in the report.
    - ``timeout``: seconds the serial pull waits for each answer.
    - ``erase``: after a serial pull, erase each dump pulled (its copy verified
      first), so that the next test starts with empty slots.
    - ``folder``: where dumps and reports are written, relative to the folder
      of Robot's log unless absolute (``${LOG FILE}``'s, else ``${OUTPUT
      FILE}``'s, which under renode-test is its results folder):
      ``SUITE-TEST-slotN.cdmp`` plus ``.txt`` and ``.json`` reports.

    - ``dedupe``: how long a reported dump stays reported, so that a later
      check (or a read through the other path) ignores it. ``test`` (the
      default): within the test. Each test that starts its own emulation, as
      Renode suites do, can then crash exactly as an earlier one did (an
      emulation is deterministic: the same crash leaves the same dump) and
      still be caught. ``suite``: for the whole run, for a device that keeps
      its flash from test to test (one emulation for the suite, or hardware);
      ``erase`` is the other way to start each test clean.
    """

    ROBOT_LIBRARY_SCOPE = "GLOBAL"

    def __init__(self, elf: Optional[str] = None, port: Optional[str] = None,
                 probe: Optional[str] = None, board: Optional[str] = None,
                 target: Optional[str] = None, timeout: float = 10.0, erase: bool = False,
                 folder: str = "crashdumps", dedupe: str = "test") -> None:
        if dedupe not in ("test", "suite"):
            raise ValueError(f"dedupe={dedupe!r}: give test or suite")
        self.dedupe = dedupe
        self.port, self.probe, self.board, self.target = port, probe, board, target
        self.timeout, self.erase, self.folder = float(timeout), erase, folder
        self._collector = Collector(folder, elf)
        self._expected: Optional[int] = None  # Expect Crash's count in this test
        self._pulled = 0  # dumps pulled in this test
        self._context: Optional[RobotContext] = None
        self.ROBOT_LIBRARY_LISTENER = _Listener(self)

    # ------------------------------------------------------------ keywords

    def set_crashdump_device(self, port: Optional[str] = None, probe: Optional[str] = None,
                             elf: Optional[str] = None, board: Optional[str] = None,
                             target: Optional[str] = None) -> None:
        """Changes where the dumps are pulled from and the ELF they are decoded
        against (arguments left out keep their value; ``port`` or ``probe``
        replaces the other).

        | Set Crashdump Device | probe=gdbrsp:127.0.0.1:${GDB_PORT} | elf=${ELF} |
        """
        if port is not None or probe is not None:
            self.port, self.probe = port, probe
        if elf is not None:
            self._collector.set_elf(elf)
        if board is not None:
            self.board = board
        if target is not None:
            self.target = target

    def expect_crash(self, count: int = 1) -> None:
        """Declares that the current test crashes the device on purpose,
        ``count`` times: `Check For Crashes` then fails unless exactly that many
        dumps were pulled in this test (by `Pull Crash Dumps` or by the check
        itself). Forgotten when the next test starts."""
        self._expected = int(count)

    def pull_crash_dumps(self) -> List[Dict[str, Any]]:
        """Pulls the dumps not reported yet, decodes them and logs each report
        with links to its files. Never fails because of a crash. Returns one
        dictionary per dump: ``summary``, ``text`` (the report), ``report`` (the
        report as ``crashdump --json decode`` gives it), ``slot``, and the
        paths ``file``, ``report_file``, ``json_file``.

        | ${crashes}= | Pull Crash Dumps |
        | Should Contain | ${crashes}[0][summary] | BusFault |
        """
        return [self._as_dict(c) for c in self._pull()]

    def check_for_crashes(self, expected: Optional[int] = None) -> None:
        """Pulls and logs the dumps not reported yet (as `Pull Crash Dumps`)
        and fails with each crash's summary if the device crashed when it
        should not have. Without `Expect Crash` (or ``expected``), any such
        dump fails; with it, the dumps pulled in this test must number
        exactly as many, so an expected crash that left no dump fails too.
        Meant for ``Test Teardown``: a test that failed because the device
        crashed then says why."""
        want = self._expected if expected is None else int(expected)
        crashes = self._pull()
        if want is None and crashes:
            what = "crash" if len(crashes) == 1 else f"{len(crashes)} crashes"
            raise AssertionError(f"unexpected {what}:\n" + self._summaries(crashes))
        if want is not None and self._pulled != want:
            raise AssertionError(f"{self._pulled} crash dump(s) in this test where {want} "
                                 "expected" + (":\n" + self._summaries(crashes) if crashes
                                               else ""))

    # ------------------------------------------------------------ helpers

    def _robot(self) -> RobotContext:
        if self._context is None:
            self._context = RobotContext()
        return self._context

    def _base(self) -> Path:
        """The folder Robot's log is (or will be) in: the log file's, else
        the output file's (renode-test writes the log next to it later, and
        its ${OUTPUT DIR} is just where it was started), else ${OUTPUT DIR}."""
        ctx = self._robot()
        for name in ("LOG_FILE", "OUTPUT_FILE"):
            value = ctx.variable(name)
            if value:
                return Path(value).parent
        return Path(ctx.variable("OUTPUT_DIR") or ".")

    def _folder(self) -> Path:
        return self._base() / self.folder  # an absolute folder stays as it is

    def _name(self) -> str:
        ctx = self._robot()
        parts = [ctx.variable("SUITE_NAME"), ctx.variable("TEST_NAME")]
        return "-".join(safe_name(p, 60) for p in parts if p) or "crash"

    def _pull(self) -> List[Crash]:
        if not (self.probe or self.port):
            raise CrashdumpKeywordError("no device: give port= or probe= when importing "
                                        "crashdump.robot.CrashdumpLibrary, or call Set Crashdump "
                                        "Device")
        self._collector.folder = self._folder()
        name = self._name()
        try:
            if self.probe:
                crashes = self._collector.from_probe(self.probe, name, self.board, self.target)
            else:
                from ..protocol.client import Client
                with Client.open(self.port, timeout=self.timeout) as dev:
                    crashes = self._collector.from_client(dev, name, erase=self.erase)
        except CrashdumpError as e:
            where = f"{e.operation}: " if e.operation else ""
            hint = getattr(e, "hint", None)
            raise CrashdumpKeywordError(f"crash dumps from {self.probe or self.port}: "
                                        f"{where}{e}" + (f" ({hint})" if hint else "")) from None
        for crash in crashes:
            self._log(crash)
        self._pulled += len(crashes)
        return crashes

    def _summaries(self, crashes: List[Crash]) -> str:
        return "\n".join(f"{c.summary} (report: {self._shown(c.report_path)})" for c in crashes)

    def _shown(self, path: Path) -> str:
        """path as the log shows it: relative to the log's folder."""
        try:
            return os.path.relpath(path, self._base())
        except ValueError:  # another drive on Windows
            return str(path)

    def _log(self, crash: Crash) -> None:
        links = " ".join(
            f'<a href="{quote(Path(self._shown(p)).as_posix())}">{label}</a>'
            for label, p in (("dump", crash.path), ("report", crash.report_path),
                             ("json", crash.json_path)))
        self._robot().log_html(f"<b>crash: {html.escape(crash.summary)}</b> ({links})"
                               f"<pre>{html.escape(crash.text)}</pre>")

    @staticmethod
    def _as_dict(crash: Crash) -> Dict[str, Any]:
        return {"slot": crash.slot, "summary": crash.summary, "text": crash.text,
                "report": crash.report.to_json(), "file": str(crash.path),
                "report_file": str(crash.report_path), "json_file": str(crash.json_path)}


__all__ = ["CrashdumpKeywordError", "CrashdumpLibrary", "RobotContext"]
