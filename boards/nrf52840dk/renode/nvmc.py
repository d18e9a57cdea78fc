# SPDX-License-Identifier: Apache-2.0
# nRF52840 NVMC stand-in for Renode 1.16.1 (Python peripheral, IronPython 2.7).
#
# Why: Renode's nRF52840 platform has no NVMC model, so the firmware's flash
# driver (boards/common/flash/flash_nvmc.c) would poll READY forever and its
# page erases would do nothing. Flash itself stays plain memory in the .repl,
# so programming is a plain store; only what the driver needs is modelled:
#   READY     +0x400  always 1 (operations complete at once)
#   READYNEXT +0x408  always 1
#   CONFIG    +0x504  stored (0 read-only, 1 write, 2 erase)
#   ERASEPAGE +0x508  with CONFIG = 2: fills the 4 KiB page holding the written
#                     address with 0xFF, as the hardware does; ignored otherwise
# Registered by nrf52840dk.resc:
#   machine PyDevFromFile $ORIGIN/nvmc.py 0x4001E000 0x1000 True "nvmc"
# Renode runs this whole file on every access with `request` (IsInit, IsRead,
# IsWrite, Offset, Value) and `self` (the peripheral) bound; other names
# persist between runs. tests/host/test_renode_files.py runs it under CPython.

READY = 0x400
READYNEXT = 0x408
CONFIG = 0x504
ERASEPAGE = 0x508
CONFIG_EEN = 2
PAGE_SIZE = 0x1000
FLASH_SIZE = 0x100000

if request.IsInit:
    config = 0
elif request.IsRead:
    if request.Offset in (READY, READYNEXT):
        request.Value = 1
    elif request.Offset == CONFIG:
        request.Value = config
    else:
        request.Value = 0
elif request.IsWrite:
    if request.Offset == CONFIG:
        config = request.Value & 3
    elif request.Offset == ERASEPAGE and config == CONFIG_EEN:
        page = request.Value - request.Value % PAGE_SIZE
        if page < FLASH_SIZE:
            bus = self.GetMachine().SystemBus
            for address in range(page, page + PAGE_SIZE, 4):
                bus.WriteDoubleWord(address, 0xFFFFFFFF)
