# SPDX-License-Identifier: Apache-2.0
# nRF52840 NVMC stand-in for Renode 1.15.3, 1.16.0 and 1.16.1 (Python
# peripheral, IronPython 2.7).
#
# Why: Renode's nRF52840 platform has no NVMC model, so the firmware's flash
# driver (firmware/ports/flash/flash_nvmc.c) would poll READY forever and its
# page erases would do nothing. Only what the driver needs is modelled:
#   READY     +0x400  always 1 (operations complete at once)
#   READYNEXT +0x408  always 1
#   CONFIG    +0x504  stored (0 read-only, 1 write, 2 erase); WEN enables
#                     programming of the dump partition (nor_flash.py)
#   ERASEPAGE +0x508  with CONFIG = 2: erases the 4 KiB page holding the
#                     written address, as the hardware does; ignored otherwise.
#                     In the dump partition through nor_flash.py; elsewhere
#                     the page in `flash` (MappedMemory) is filled with 0xFF.
# Registered by nrf52840dk.resc:
#   machine PyDevFromFile $ORIGIN/nvmc.py 0x4001E000 0x1000 True "nvmc"
# Renode runs this whole file on every access with `request` and `self` (the
# peripheral) bound; other names persist between runs.
# tests/host/test_renode_pydev.py runs it under CPython with both spellings.

READY = 0x400
READYNEXT = 0x408
CONFIG = 0x504
ERASEPAGE = 0x508
CONFIG_WEN = 1
CONFIG_EEN = 2
PAGE_SIZE = 0x1000
FLASH_SIZE = 0x100000
DUMP_BASE = 0xE8000        # BOARD_DUMP_BASE: nor_flash.py's registration
DUMP_SIZE = 0x18000
DUMP_FLASH = "sysbus.dump_flash"
PROGRAM_ENABLE, ERASE_LENGTH, ERASE_AT = 1, 2, 3  # nor_flash.py's commands

# The request's attributes are IsInit/IsRead/IsWrite/Offset/Value from 1.16.1
# and isInit/isRead/isWrite/offset/value before (renode-infrastructure
# src/Emulator/Main/Peripherals/Python/PeripheralPythonEngine.cs, class
# PythonRequest: lines 128-150 in 1.15.3, 128-151 in 1.16.0, 130-158 in 1.16.1;
# renamed by commit 73c5410e0 "Format repository", not in the changelog).
NEW_NAMES = hasattr(request, "IsInit")
VALUE = "Value" if NEW_NAMES else "value"
OFFSET = request.Offset if NEW_NAMES else request.offset


def dump_flash():
    # IMachine's indexer by name (src/Emulator/Main/Peripherals/IMachine.cs:
    # line 81 in 1.15.3, 145 in 1.16.1)
    return self.GetMachine()[DUMP_FLASH]


if (request.IsInit if NEW_NAMES else request.isInit):
    config = 0
elif (request.IsRead if NEW_NAMES else request.isRead):
    if OFFSET in (READY, READYNEXT):
        setattr(request, VALUE, 1)
    elif OFFSET == CONFIG:
        setattr(request, VALUE, config)
    else:
        setattr(request, VALUE, 0)
elif (request.IsWrite if NEW_NAMES else request.isWrite):
    value = int(getattr(request, VALUE))
    if OFFSET == CONFIG:
        config = value & 3
        dump_flash().ControlWrite(PROGRAM_ENABLE, int(config == CONFIG_WEN))
    elif OFFSET == ERASEPAGE and config == CONFIG_EEN:
        page = value - value % PAGE_SIZE
        if DUMP_BASE <= page < DUMP_BASE + DUMP_SIZE:
            dump_flash().ControlWrite(ERASE_LENGTH, PAGE_SIZE)
            dump_flash().ControlWrite(ERASE_AT, page - DUMP_BASE)
        elif page < FLASH_SIZE:
            bus = self.GetMachine().SystemBus
            for address in range(page, page + PAGE_SIZE, 4):
                bus.WriteDoubleWord(address, 0xFFFFFFFF)
