# SPDX-License-Identifier: Apache-2.0
"""Support for test harnesses: the firmware run in QEMU (emulate.py), dumps
pulled and decoded into a folder (collect.py), the Robot Framework library
(robot.py) and the pytest plugin (pytest_plugin.py). Their documented names,
crashdump.emulate, crashdump.robot and crashdump.pytest_plugin, re-export them."""
