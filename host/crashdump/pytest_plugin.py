# SPDX-License-Identifier: Apache-2.0
"""crashdump.pytest_plugin, the documented name of harness/pytest_plugin.py
(`-p crashdump.pytest_plugin`): its fixtures and hooks."""
from .harness.pytest_plugin import *  # noqa: F401,F403
from .harness.pytest_plugin import (__all__, pytest_addoption,  # noqa: F401
                                    pytest_runtest_makereport)
