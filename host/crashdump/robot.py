# SPDX-License-Identifier: Apache-2.0
"""crashdump.robot, the documented name of harness/robot.py (Robot Framework:
`Library  crashdump.robot.CrashdumpLibrary`)."""
from .harness.robot import *  # noqa: F401,F403
from .harness.robot import __all__  # noqa: F401
