/* SPDX-License-Identifier: Apache-2.0 */
/*
 * STM32F4 embedded-flash interface (FLASH at 0x40023C00; RM0090, STM32F405/
 * 407/415/417 and F42x/43x): only the registers and bits flash_stm32f4.c uses,
 * named as in the reference manual, in the style of cortex-m/cm_regs.h.
 *
 * Sector geometry of the 1 MiB single-bank parts (STM32F405/407/415/417):
 *   sectors 0..3    16 KiB each at 0x08000000
 *   sector  4       64 KiB      at 0x08010000
 *   sectors 5..11  128 KiB each at 0x08020000 .. 0x080FFFFF
 * The 2 MiB dual-bank parts (F42x/F43x) add sectors 12..23 with another SNB
 * encoding; flash_stm32f4.c does not handle them.
 */
#ifndef FLASH_STM32F4_H
#define FLASH_STM32F4_H

#include <stdint.h>

#define STM32F4_FLASH_IF_BASE 0x40023C00u
#define STM32F4_FLASH_BASE 0x08000000u

/* Register offsets from STM32F4_FLASH_IF_BASE. */
#define STM32F4_FLASH_ACR 0x00u     /* access control: latency, caches */
#define STM32F4_FLASH_KEYR 0x04u    /* unlock keys for CR */
#define STM32F4_FLASH_SR 0x0Cu      /* status: error bits are write-1-to-clear */
#define STM32F4_FLASH_CR 0x10u      /* control: LOCK, PSIZE, SNB, SER, PG, STRT */

/* KEYR: KEY1 then KEY2 clears CR.LOCK. Any other write (or a key written while
 * unlocked) is a bus error and locks CR until the next reset. */
#define STM32F4_FLASH_KEY1 0x45670123u
#define STM32F4_FLASH_KEY2 0xCDEF89ABu

/* ACR */
#define STM32F4_FLASH_ACR_DCEN (1u << 10)  /* data cache enable */
#define STM32F4_FLASH_ACR_DCRST (1u << 12) /* data cache reset; only while DCEN = 0 */

/* SR */
#define STM32F4_FLASH_SR_EOP (1u << 0)     /* end of operation (only with EOPIE) */
#define STM32F4_FLASH_SR_OPERR (1u << 1)   /* operation error (only with ERRIE) */
#define STM32F4_FLASH_SR_WRPERR (1u << 4)  /* write protection error */
#define STM32F4_FLASH_SR_PGAERR (1u << 5)  /* programming alignment error */
#define STM32F4_FLASH_SR_PGPERR (1u << 6)  /* programming parallelism error (access size != PSIZE) */
#define STM32F4_FLASH_SR_PGSERR (1u << 7)  /* programming sequence error */
#define STM32F4_FLASH_SR_BSY (1u << 16)    /* operation in progress */
#define STM32F4_FLASH_SR_ERRORS                                                     \
    (STM32F4_FLASH_SR_OPERR | STM32F4_FLASH_SR_WRPERR | STM32F4_FLASH_SR_PGAERR | \
     STM32F4_FLASH_SR_PGPERR | STM32F4_FLASH_SR_PGSERR)

/* CR */
#define STM32F4_FLASH_CR_PG (1u << 0)      /* programming */
#define STM32F4_FLASH_CR_SER (1u << 1)     /* sector erase */
#define STM32F4_FLASH_CR_MER (1u << 2)     /* mass erase (never used here) */
#define STM32F4_FLASH_CR_SNB_POS 3u        /* sector number, bits 6:3 on 1 MiB parts */
#define STM32F4_FLASH_CR_SNB_MSK (0xFu << 3)
#define STM32F4_FLASH_CR_PSIZE_POS 8u      /* program/erase parallelism */
#define STM32F4_FLASH_CR_PSIZE_MSK (3u << 8)
#define STM32F4_FLASH_CR_PSIZE_X8 (0u << 8)  /* any VDD (1.8-3.6 V) */
#define STM32F4_FLASH_CR_PSIZE_X16 (1u << 8) /* VDD 2.1-3.6 V */
#define STM32F4_FLASH_CR_PSIZE_X32 (2u << 8) /* VDD 2.7-3.6 V */
#define STM32F4_FLASH_CR_PSIZE_X64 (3u << 8) /* external VPP 8-9 V only */
#define STM32F4_FLASH_CR_STRT (1u << 16)   /* start an erase */
#define STM32F4_FLASH_CR_LOCK (1u << 31)   /* CR is write-protected until unlocked */

/* Sector number of a flash address on a 1 MiB part, or -1 outside flash. */
static inline int stm32f4_flash_sector(uint32_t addr)
{
    uint32_t off = addr - STM32F4_FLASH_BASE;

    if (addr < STM32F4_FLASH_BASE || off >= 0x100000u) {
        return -1;
    }
    if (off < 0x10000u) {
        return (int)(off / 0x4000u);               /* 0..3: 16 KiB */
    }
    if (off < 0x20000u) {
        return 4;                                  /* 64 KiB */
    }
    return (int)(5u + (off - 0x20000u) / 0x20000u); /* 5..11: 128 KiB */
}

#ifdef FLASH_STM32F4_FAKE_IO
/* Host unit tests (tests/unit/test_flash_stm32f4.c) build flash_stm32f4.c
 * with FLASH_STM32F4_FAKE_IO and supply these, a model of the flash interface:
 * `reg` is one of the register offsets above, `offset` a byte offset into the
 * dump partition. On the target they are plain volatile loads and stores. */
uint32_t stm32f4_io_read(uint32_t reg);
void stm32f4_io_write(uint32_t reg, uint32_t value);
uint32_t stm32f4_io_part_read(uint32_t offset);
void stm32f4_io_part_write(uint32_t offset, uint32_t value);
#endif

/* Why the last failed erase or program failed in the flash interface, 0 if
 * none did: its SR error bits (STM32F4_FLASH_SR_ERRORS), or STM32F4_FLASH_SR_BSY
 * if the interface never became idle, or STM32F4_FLASH_E_LOCKED if the keys
 * did not unlock CR. For a debugger, a test, or a board that wants to log more
 * than CD_E_IO. A success does not clear it. */
#define STM32F4_FLASH_E_LOCKED (1u << 31)
extern volatile uint32_t flash_stm32f4_errors;

#endif /* FLASH_STM32F4_H */
