# SPDX-License-Identifier: Apache-2.0
"""python -m crashdump"""
import sys

from .cli import main

sys.exit(main())
