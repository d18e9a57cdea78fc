# SPDX-License-Identifier: Apache-2.0
# STM32F4-Discovery (STM32F407VG, Cortex-M4F, 1 MiB flash, 128 KiB SRAM + 64 KiB
# CCM). Built in CI, run on hardware (or Renode) by users. Hard-float ABI: the
# shared startup enables the FPU (CPACR) before any C code runs. IRQ 0 is the
# window watchdog's early-wakeup interrupt; the demo never starts the WWDG, so
# the fault injector pends it to play the watchdog's early warning.
set(CD_CPU_FLAGS -mcpu=cortex-m4 -mthumb -mfpu=fpv4-sp-d16 -mfloat-abi=hard)
set(CD_BOARD_DEFS CD_FRAME_MAX=1024u CD_ITEM_MAX=256u CD_WATCHDOG_IRQ=0)
