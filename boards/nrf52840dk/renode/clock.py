# SPDX-License-Identifier: Apache-2.0
# nRF52840 CLOCK stand-in for Renode 1.15.3, 1.16.0 and 1.16.1 (Python
# peripheral, IronPython 2.7).
#
# Why not Renode's own model: its C# type is Miscellaneous.NRF52840_CLOCK up to
# 1.15.3 and Miscellaneous.NRF_CLOCK from 1.16.0 (renode-infrastructure commit
# 3c90ada70 "NRF: rename NRF52840_CLOCK to NRF_CLOCK"; the file is
# src/Emulator/Peripherals/Peripherals/Miscellaneous/NRF52840_CLOCK.cs in
# 1.15.3 and NRF_CLOCK.cs in 1.16.0 and 1.16.1; Renode's CHANGELOG.rst lists
# "NRF CLOCK" under 1.16.0's "Improvements in peripherals"), so no one .repl
# line loads on all three. The port (boards/common/nrf5/nrf5_port.c) only
# starts the crystal and polls its event:
#   TASKS_HFCLKSTART      +0x000  writing 1 sets EVENTS_HFCLKSTARTED at once
#   EVENTS_HFCLKSTARTED   +0x100  reads the event; writes store (0 clears it)
#   APPROTECT DISABLE     +0x558  (POWER's block) stored, read back
# Everything else reads 0 and ignores writes. Registered by nrf52840dk.resc:
#   machine PyDevFromFile $ORIGIN/clock.py 0x40000000 0x1000 True "clock"
# Renode runs this whole file on every access with `request` and `self` bound;
# other names persist between runs. tests/host/test_renode_pydev.py runs it
# under CPython with both spellings of the request.

TASKS_HFCLKSTART = 0x000
EVENTS_HFCLKSTARTED = 0x100
APPROTECT_DISABLE = 0x558

# The request's attributes are IsInit/IsRead/IsWrite/Offset/Value from 1.16.1
# and isInit/isRead/isWrite/offset/value before (renode-infrastructure
# src/Emulator/Main/Peripherals/Python/PeripheralPythonEngine.cs, class
# PythonRequest: lines 128-150 in 1.15.3, 128-151 in 1.16.0, 130-158 in 1.16.1;
# renamed by commit 73c5410e0 "Format repository", not in the changelog).
NEW_NAMES = hasattr(request, "IsInit")
VALUE = "Value" if NEW_NAMES else "value"
OFFSET = request.Offset if NEW_NAMES else request.offset

if (request.IsInit if NEW_NAMES else request.isInit):
    registers = {EVENTS_HFCLKSTARTED: 0, APPROTECT_DISABLE: 0}
elif (request.IsRead if NEW_NAMES else request.isRead):
    setattr(request, VALUE, registers.get(OFFSET, 0))
elif (request.IsWrite if NEW_NAMES else request.isWrite):
    value = int(getattr(request, VALUE)) & 0xFFFFFFFF
    if OFFSET == TASKS_HFCLKSTART and value & 1:
        registers[EVENTS_HFCLKSTARTED] = 1
    elif OFFSET in registers:
        registers[OFFSET] = value
