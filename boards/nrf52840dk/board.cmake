# SPDX-License-Identifier: Apache-2.0
# Nordic nRF52840-DK (PCA10056): nRF52840, Cortex-M4F at 64 MHz, 1 MiB flash,
# 256 KiB RAM. Built in CI, run on hardware (or Renode) by users. Hard-float
# ABI: the shared startup enables the FPU (CPACR) before any C code runs.
# IRQ 25 is SWI5_EGU5, a software interrupt: it plays the watchdog's early
# warning (the nRF52 WDT has none of its own), as on the micro:bit.
set(CD_CPU_FLAGS -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard)
set(CD_BOARD_DEFS CD_FRAME_MAX=1024u CD_ITEM_MAX=256u CD_WATCHDOG_IRQ=25)
