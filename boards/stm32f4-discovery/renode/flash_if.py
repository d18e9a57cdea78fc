# SPDX-License-Identifier: Apache-2.0
# STM32F4 flash interface (FLASH at 0x40023C00) for Renode 1.15.3, 1.16.0 and
# 1.16.1 (Python peripheral, IronPython 2.7), in place of Renode's
# MTD.STM32F4_FlashController, which erases its MappedMemory directly and so
# cannot drive the dump partition's NOR model (../../common/renode/nor_flash.py).
# What the firmware's driver (firmware/ports/flash/flash_stm32f4.c) uses:
#   ACR   +0x00  stored
#   KEYR  +0x04  0x45670123 then 0xCDEF89AB clears CR.LOCK; any other write
#                while locked keeps it locked until reset
#   SR    +0x0C  never busy; error bits write-1-to-clear (none are raised:
#                nor_flash.py logs misuse instead)
#   CR    +0x10  LOCK (bit 31, set at reset, set by writing it), PG (bit 0:
#                enables programming of the partition), SER (bit 1) + SNB
#                (bits 6:3) + STRT (bit 16): erases the sector at once
# Sectors (RM0090, 1 MiB parts): 0-3 16 KiB, 4 64 KiB, 5-11 128 KiB. Erasing a
# sector in the dump partition goes to nor_flash.py; any other sector of the
# 1 MiB is filled with 0xFF through the system bus.
# Registered by stm32f4-discovery.resc:
#   machine PyDevFromFile $ORIGIN/flash_if.py 0x40023C00 0x400 True "flash_if"
# Renode runs this whole file on every access with `request` and `self` bound;
# other names persist between runs. tests/host/test_renode_pydev.py runs it
# under CPython with both spellings of the request.

ACR = 0x00
KEYR = 0x04
SR = 0x0C
CR = 0x10
KEYS = (0x45670123, 0xCDEF89AB)
CR_PG = 1 << 0
CR_SER = 1 << 1
CR_SNB_POS = 3
CR_STRT = 1 << 16
CR_LOCK = 1 << 31
FLASH_BASE = 0x08000000
FLASH_SIZE = 0x100000
DUMP_BASE = 0x080C0000     # BOARD_DUMP_BASE: nor_flash.py's registration
DUMP_SIZE = 0x40000
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


def sector_span(n):
    """(address, size) of sector n."""
    if n < 4:
        return FLASH_BASE + n * 0x4000, 0x4000
    if n == 4:
        return FLASH_BASE + 0x10000, 0x10000
    return FLASH_BASE + 0x20000 * (n - 4), 0x20000


def erase_sector(n):
    address, length = sector_span(n)
    if DUMP_BASE <= address < DUMP_BASE + DUMP_SIZE:
        dump = self.GetMachine()[DUMP_FLASH]
        dump.ControlWrite(ERASE_LENGTH, length)
        dump.ControlWrite(ERASE_AT, address - DUMP_BASE)
    elif address < FLASH_BASE + FLASH_SIZE:
        bus = self.GetMachine().SystemBus
        for a in range(address, address + length, 4):
            bus.WriteDoubleWord(a, 0xFFFFFFFF)


if (request.IsInit if NEW_NAMES else request.isInit):
    registers = {ACR: 0, SR: 0, CR: CR_LOCK}
    keys_seen = 0
elif (request.IsRead if NEW_NAMES else request.isRead):
    setattr(request, VALUE, registers.get(OFFSET, 0))
elif (request.IsWrite if NEW_NAMES else request.isWrite):
    value = int(getattr(request, VALUE)) & 0xFFFFFFFF
    if OFFSET == ACR:
        registers[ACR] = value
    elif OFFSET == SR:
        registers[SR] &= ~value
    elif OFFSET == KEYR and registers[CR] & CR_LOCK:
        if keys_seen < 2 and value == KEYS[keys_seen]:
            keys_seen += 1
            if keys_seen == 2:
                registers[CR] &= ~CR_LOCK
        else:
            keys_seen = 3  # a wrong key: locked until reset
    elif OFFSET == CR and not registers[CR] & CR_LOCK:
        registers[CR] = value & ~CR_STRT
        if value & CR_LOCK:
            keys_seen = 0
        if value & CR_SER and value & CR_STRT:
            erase_sector((value >> CR_SNB_POS) & 0xF)
        enabled = bool(value & CR_PG) and not value & CR_LOCK
        self.GetMachine()[DUMP_FLASH].ControlWrite(PROGRAM_ENABLE, int(enabled))
