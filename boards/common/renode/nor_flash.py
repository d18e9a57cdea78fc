# SPDX-License-Identifier: Apache-2.0
# NOR flash for a dump partition in Renode 1.15.3, 1.16.0 and 1.16.1 (Python
# peripheral, IronPython 2.7), shared by the nRF52840-DK and STM32F4 Discovery.
#
# Why: Renode's Memory.MappedMemory is plain RAM, so programming without an
# erase would succeed and could set bits, and a driver that forgets to erase
# would pass. Here, as on NOR flash:
#   - programming only clears bits: the word becomes old AND new;
#   - programming a bit from 0 to 1 (over an unerased word) is logged as an
#     error ("NOR flash: programming over unerased ...") and counted; the
#     Robot suite fails on that log line;
#   - programming while the flash interface has not enabled it (nRF NVMC
#     CONFIG != WEN, STM32F4 FLASH_CR.PG clear) is logged, counted, ignored;
#   - erased flash reads 0xFF; the contents survive a machine reset.
# Only the partition is here (Renode cannot run code from a Python
# peripheral): the .repl maps the flash below it as MappedMemory, and the
# .resc registers this file over the partition, e.g.
#   machine PyDevFromFile $ORIGIN/../../common/renode/nor_flash.py 0xE8000 0x18000 True "dump_flash"
# The flash interface model (nrf52840dk/renode/nvmc.py, stm32f4-discovery/
# renode/flash_if.py) drives it with USER requests, i.e. PythonPeripheral.
# ControlWrite(command, value) (present in 1.15.3, 1.16.0 and 1.16.1:
# src/Emulator/Main/Peripherals/Python/PythonPeripheral.cs lines 126, 134, 144):
#   command 1 (PROGRAM_ENABLE): value 1 enables programming, 0 disables it
#   command 2 (ERASE_LENGTH):   bytes the next erase clears (the erase unit)
#   command 3 (ERASE_AT):       erase ERASE_LENGTH bytes from offset `value`
#   command 4 (VIOLATIONS):     ControlRead returns the error count
# Renode runs this whole file on every access with `request`, `self` and
# `size` (the registration's size) bound; other names persist between runs.
# tests/host/test_renode_pydev.py runs it under CPython with both spellings.

PROGRAM_ENABLE = 1
ERASE_LENGTH = 2
ERASE_AT = 3
VIOLATIONS = 4

# The request's attributes are IsInit/IsRead/IsWrite/IsUser/Offset/Value/Length
# from 1.16.1 and isInit/isRead/isWrite/isUser/offset/value/length before
# (src/Emulator/Main/Peripherals/Python/PeripheralPythonEngine.cs, class
# PythonRequest: lines 128-158 in 1.15.3, 128-159 in 1.16.0, 130-166 in
# 1.16.1; renamed by renode-infrastructure commit 73c5410e0 "Format
# repository", not in the changelog).
NEW_NAMES = hasattr(request, "IsInit")
VALUE = "Value" if NEW_NAMES else "value"
OFFSET = int(request.Offset if NEW_NAMES else request.offset)
# int(): Renode binds `size` (and the request's numbers) as System.Int64, which
# IronPython 2.7 does arithmetic with but will not repeat a bytes object by
# (TypeError, and Renode stops; seen on Renode 1.15.3).
SIZE = int(size)

try:
    flash  # the contents outlive the init that a machine reset runs again
except NameError:
    flash = bytearray(b"\xff" * SIZE)
    violations = 0

if (request.IsInit if NEW_NAMES else request.isInit):
    program_enabled = False
    erase_length = 0
elif (request.IsUser if NEW_NAMES else request.isUser):
    argument = int(getattr(request, VALUE))
    if OFFSET == PROGRAM_ENABLE:
        program_enabled = argument != 0
    elif OFFSET == ERASE_LENGTH:
        erase_length = argument
    elif OFFSET == ERASE_AT and 0 <= argument < SIZE and erase_length > 0:
        start = argument - argument % erase_length
        end = min(start + erase_length, SIZE)
        flash[start:end] = b"\xff" * (end - start)
    elif OFFSET == VIOLATIONS:
        setattr(request, VALUE, violations)
else:
    length = request.Length if NEW_NAMES else request.length
    here = flash[OFFSET:OFFSET + length]
    old = 0
    for i in range(len(here) - 1, -1, -1):
        old = (old << 8) | here[i]
    if (request.IsRead if NEW_NAMES else request.isRead):
        setattr(request, VALUE, old)
    elif len(here) == length:
        new = int(getattr(request, VALUE)) & ((1 << (8 * length)) - 1)
        if not program_enabled:
            violations += 1
            self.Log(LogLevel.Error, "NOR flash: write of 0x%X at +0x%X while programming is "
                     "disabled (ignored)" % (new, OFFSET))
        else:
            if new & ~old:
                violations += 1
                self.Log(LogLevel.Error, "NOR flash: programming over unerased flash at +0x%X: "
                         "0x%X over 0x%X sets bits; the result is 0x%X" % (OFFSET, new, old,
                                                                          old & new))
            new &= old
            for i in range(length):
                flash[OFFSET + i] = (new >> (8 * i)) & 0xFF
