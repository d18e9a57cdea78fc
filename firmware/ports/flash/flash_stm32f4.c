/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dump partition in the internal flash of an STM32F405/407/415/417 (1 MiB,
 * single bank): erase and program through the flash interface (RM0090,
 * "Embedded Flash memory interface"). Reads are plain loads (flash_part.c).
 *
 * Geometry: the sectors are not uniform (4 x 16 KiB, 64 KiB, 7 x 128 KiB), but
 * the port contract has one erase unit. The partition therefore lies wholly in
 * the 128 KiB sectors 5..11 and reports erase_size = 128 KiB: every erase unit
 * the library asks for is exactly one hardware sector (static asserts below),
 * and stm32f4_flash_sector() turns its address into SNB.
 *
 * Parallelism: PSIZE = x32, the fastest mode that needs no external VPP, valid
 * for VDD 2.7-3.6 V (the Discovery board runs at 3.0 V). The program unit is
 * therefore one aligned 32-bit word (FLASH_PART_WRITE_SIZE); a board powered
 * below 2.7 V must use x16 or x8 and half-word or byte stores instead.
 *
 * Each operation: wait until BSY is clear (an operation the interrupted code
 * started must finish), unlock CR with the two KEYR keys if it is locked, clear
 * stale error flags (they would fail the next operation), run, wait BSY after
 * each sector or word, collect the error flags (PGSERR, PGPERR, PGAERR, WRPERR,
 * OPERR), clear them, lock CR again, reset the data cache if it is on (it may
 * hold the old contents), and verify by reading back. Any error is CD_E_IO;
 * flash_stm32f4_errors keeps the flags.
 *
 * Polling only, no interrupts (EOPIE/ERRIE stay off), no vendor headers:
 * callable from the fault handler. The code runs from the same bank: the CPU
 * stalls on instruction fetches while the flash is busy, which the reference
 * manual allows. A 128 KiB sector erase takes about 1-2 s at x32, which is why
 * the library erases slots at boot and the fault path only programs.
 */
#include <stdint.h>

#include "crashdump/cd_port.h"
#include "crashdump/cd_status.h"
#include "flash_part.h"
#include "flash_stm32f4.h"

#define SECTOR_128K 0x20000u

_Static_assert(CD_DUMP_ERASE_SIZE == SECTOR_128K,
               "STM32F4 dump partition: the erase unit is one 128 KiB sector");
_Static_assert(CD_DUMP_BASE >= STM32F4_FLASH_BASE + 0x20000u &&
                   CD_DUMP_BASE + CD_DUMP_SIZE <= STM32F4_FLASH_BASE + 0x100000u,
               "STM32F4 dump partition must lie in sectors 5..11 (0x08020000..0x080FFFFF)");

/* Upper bound on BSY polls per operation: a 128 KiB x8 erase (the slowest,
 * 4 s maximum) at 168 MHz is far below it. Hitting it means the flash
 * interface is broken; the operation then fails instead of hanging the
 * fault handler. */
#ifndef CD_FLASH_WAIT_LOOPS
#define CD_FLASH_WAIT_LOOPS 0x10000000u
#endif

volatile uint32_t flash_stm32f4_errors;

#ifdef FLASH_STM32F4_FAKE_IO
#define io_read stm32f4_io_read
#define io_write stm32f4_io_write
#define io_part_read stm32f4_io_part_read
#define io_part_write stm32f4_io_part_write
#else
static inline uint32_t io_read(uint32_t reg)
{
    return *(volatile uint32_t *)(STM32F4_FLASH_IF_BASE + reg);
}

static inline void io_write(uint32_t reg, uint32_t value)
{
    *(volatile uint32_t *)(STM32F4_FLASH_IF_BASE + reg) = value;
}

static inline uint32_t io_part_read(uint32_t offset)
{
    return *(volatile uint32_t *)(CD_DUMP_BASE + offset);
}

static inline void io_part_write(uint32_t offset, uint32_t value)
{
    /* A 32-bit store: the access size must match PSIZE (x32), else PGPERR. */
    *(volatile uint32_t *)(CD_DUMP_BASE + offset) = value;
}
#endif

/* Waits until BSY is clear; returns the SR error flags then set, or
 * STM32F4_FLASH_SR_BSY if the interface never became idle. */
static uint32_t flash_wait(void)
{
    for (uint32_t i = 0; i < CD_FLASH_WAIT_LOOPS; i++) {
        uint32_t sr = io_read(STM32F4_FLASH_SR);

        if ((sr & STM32F4_FLASH_SR_BSY) == 0u) {
            return sr & STM32F4_FLASH_SR_ERRORS;
        }
    }
    return STM32F4_FLASH_SR_BSY;
}

/* Waits for idle, unlocks CR, clears stale flags and selects x32 with no
 * operation bits set. CD_OK, or CD_E_IO if the interface stays busy or locked. */
static int flash_begin(void)
{
    if ((flash_wait() & STM32F4_FLASH_SR_BSY) != 0u) {
        flash_stm32f4_errors = STM32F4_FLASH_SR_BSY;
        return CD_E_IO;
    }
    /* Keys only while locked: a key written to an unlocked CR is a bus error. */
    if ((io_read(STM32F4_FLASH_CR) & STM32F4_FLASH_CR_LOCK) != 0u) {
        io_write(STM32F4_FLASH_KEYR, STM32F4_FLASH_KEY1);
        io_write(STM32F4_FLASH_KEYR, STM32F4_FLASH_KEY2);
        if ((io_read(STM32F4_FLASH_CR) & STM32F4_FLASH_CR_LOCK) != 0u) {
            flash_stm32f4_errors = STM32F4_FLASH_E_LOCKED;
            return CD_E_IO;
        }
    }
    io_write(STM32F4_FLASH_SR, STM32F4_FLASH_SR_ERRORS | STM32F4_FLASH_SR_EOP);
    io_write(STM32F4_FLASH_CR, STM32F4_FLASH_CR_PSIZE_X32);
    return CD_OK;
}

/* Records and clears the flags of a failed operation (err != 0), drops the
 * operation bits and locks CR, then resets the data cache if it is enabled:
 * it may still hold lines of the old contents, and the verify pass (and the
 * library) must see the new ones. */
static void flash_end(uint32_t err)
{
    if (err != 0u) {
        flash_stm32f4_errors = err;
        io_write(STM32F4_FLASH_SR, STM32F4_FLASH_SR_ERRORS);
    }
    io_write(STM32F4_FLASH_CR, STM32F4_FLASH_CR_LOCK);

    uint32_t acr = io_read(STM32F4_FLASH_ACR);
    if ((acr & STM32F4_FLASH_ACR_DCEN) != 0u) {
        uint32_t off = acr & ~STM32F4_FLASH_ACR_DCEN;

        io_write(STM32F4_FLASH_ACR, off);
        io_write(STM32F4_FLASH_ACR, off | STM32F4_FLASH_ACR_DCRST);
        io_write(STM32F4_FLASH_ACR, off);
        io_write(STM32F4_FLASH_ACR, acr);
    }
}

int cd_port_flash_erase(uint32_t offset, uint32_t len)
{
    uint32_t err = 0u;

    if (!flash_part_range_ok(offset, len, CD_DUMP_ERASE_SIZE)) {
        return CD_E_IO;
    }
    if (flash_begin() != CD_OK) {
        flash_end(0u);
        return CD_E_IO;
    }
    for (uint32_t o = offset; o < offset + len && err == 0u; o += CD_DUMP_ERASE_SIZE) {
        uint32_t cr = STM32F4_FLASH_CR_PSIZE_X32 | STM32F4_FLASH_CR_SER |
                      ((uint32_t)stm32f4_flash_sector(CD_DUMP_BASE + o) << STM32F4_FLASH_CR_SNB_POS);

        io_write(STM32F4_FLASH_CR, cr);
        io_write(STM32F4_FLASH_CR, cr | STM32F4_FLASH_CR_STRT);
        err = flash_wait();
    }
    flash_end(err);
    if (err != 0u) {
        return CD_E_IO;
    }
    for (uint32_t o = offset; o < offset + len; o += 4u) {
        if (io_part_read(o) != 0xFFFFFFFFu) {
            return CD_E_IO;
        }
    }
    return CD_OK;
}

int cd_port_flash_program(uint32_t offset, const void *data, uint32_t len)
{
    const uint8_t *src = data;
    uint32_t err = 0u;

    if (!flash_part_range_ok(offset, len, FLASH_PART_WRITE_SIZE)) {
        return CD_E_IO;
    }
    if (flash_begin() != CD_OK) {
        flash_end(0u);
        return CD_E_IO;
    }
    io_write(STM32F4_FLASH_CR, STM32F4_FLASH_CR_PSIZE_X32 | STM32F4_FLASH_CR_PG);
    for (uint32_t i = 0; i < len && err == 0u; i += 4u) {
        io_part_write(offset + i, flash_part_le32(src + i));
        err = flash_wait();
    }
    flash_end(err);
    if (err != 0u) {
        return CD_E_IO;
    }
    /* Programming only clears bits: a word that was not erased reads back as
     * the AND of old and new contents, with no flag raised. */
    for (uint32_t i = 0; i < len; i += 4u) {
        if (io_part_read(offset + i) != flash_part_le32(src + i)) {
            return CD_E_IO;
        }
    }
    return CD_OK;
}
