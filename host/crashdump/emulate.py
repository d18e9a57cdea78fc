# SPDX-License-Identifier: Apache-2.0
"""crashdump.emulate, the documented name of harness/emulate.py."""
from .harness.emulate import *  # noqa: F401,F403
from .harness.emulate import __all__  # noqa: F401
