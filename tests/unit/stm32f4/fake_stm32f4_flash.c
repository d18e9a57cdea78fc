/* SPDX-License-Identifier: Apache-2.0 */
#include "fake_stm32f4_flash.h"

#include <string.h>

#include "flash_stm32f4.h"

fake_f4_t fake_f4;

void fake_f4_reset(void)
{
    memset(&fake_f4, 0, sizeof fake_f4);
    fake_f4.cr = STM32F4_FLASH_CR_LOCK;
}

uint32_t fake_f4_word(uint32_t off)
{
    const uint8_t *p = &fake_f4.part[off];

    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int busy(void)
{
    return fake_f4.stuck_busy || fake_f4.busy_polls != 0u;
}

static void start_op(void)
{
    fake_f4.busy_polls = fake_f4.busy_per_op;
}

uint32_t stm32f4_io_read(uint32_t reg)
{
    switch (reg) {
    case STM32F4_FLASH_ACR:
        return fake_f4.acr;
    case STM32F4_FLASH_SR:
        if (fake_f4.stuck_busy) {
            return fake_f4.sr | STM32F4_FLASH_SR_BSY;
        }
        if (fake_f4.busy_polls != 0u) {
            fake_f4.busy_polls--;
            return fake_f4.sr | STM32F4_FLASH_SR_BSY;
        }
        return fake_f4.sr;
    case STM32F4_FLASH_CR:
        return fake_f4.cr;
    default:
        return 0u; /* KEYR reads as zero */
    }
}

static void write_key(uint32_t value)
{
    fake_f4.key_writes++;
    if ((fake_f4.cr & STM32F4_FLASH_CR_LOCK) == 0u || fake_f4.locked_until_reset) {
        fake_f4.bus_errors++;
        fake_f4.locked_until_reset = 1;
        fake_f4.cr |= STM32F4_FLASH_CR_LOCK;
        return;
    }
    if (fake_f4.key_stage == 0 && value == STM32F4_FLASH_KEY1) {
        fake_f4.key_stage = 1;
    } else if (fake_f4.key_stage == 1 && value == STM32F4_FLASH_KEY2) {
        fake_f4.key_stage = 0;
        fake_f4.cr &= ~STM32F4_FLASH_CR_LOCK;
    } else {
        fake_f4.bus_errors++;
        fake_f4.locked_until_reset = 1;
    }
}

static void erase_sector(uint32_t cr)
{
    uint32_t snb = (cr & STM32F4_FLASH_CR_SNB_MSK) >> STM32F4_FLASH_CR_SNB_POS;
    int first = stm32f4_flash_sector(CD_DUMP_BASE);

    if ((cr & STM32F4_FLASH_CR_SER) == 0u || (cr & STM32F4_FLASH_CR_PG) != 0u ||
        (fake_f4.sr & STM32F4_FLASH_SR_ERRORS) != 0u) {
        fake_f4.sr |= STM32F4_FLASH_SR_PGSERR;
        return;
    }
    start_op();
    if (snb > 11u) {
        fake_f4.sr |= STM32F4_FLASH_SR_PGSERR;
        return;
    }
    fake_f4.erases[snb]++;
    if ((fake_f4.wrp_sectors & (1u << snb)) != 0u) {
        fake_f4.sr |= STM32F4_FLASH_SR_WRPERR;
        return;
    }
    if ((int)snb < first || (int)snb >= first + (int)(CD_DUMP_SIZE / 0x20000u)) {
        fake_f4.erases_outside++;
        return;
    }
    memset(&fake_f4.part[(snb - (uint32_t)first) * 0x20000u], 0xFF, 0x20000u);
}

void stm32f4_io_write(uint32_t reg, uint32_t value)
{
    switch (reg) {
    case STM32F4_FLASH_ACR:
        if ((value & STM32F4_FLASH_ACR_DCRST) != 0u) {
            if ((fake_f4.acr & STM32F4_FLASH_ACR_DCEN) != 0u ||
                (value & STM32F4_FLASH_ACR_DCEN) != 0u) {
                fake_f4.dcache_misuse++;
            } else {
                fake_f4.dcache_resets++;
            }
        }
        fake_f4.acr = value;
        break;
    case STM32F4_FLASH_KEYR:
        write_key(value);
        break;
    case STM32F4_FLASH_SR:
        fake_f4.sr &= ~(value & (STM32F4_FLASH_SR_ERRORS | STM32F4_FLASH_SR_EOP));
        break;
    case STM32F4_FLASH_CR:
        if (busy()) {
            fake_f4.writes_while_busy++;
            return;
        }
        if ((fake_f4.cr & STM32F4_FLASH_CR_LOCK) != 0u) {
            fake_f4.writes_while_locked++;
            return;
        }
        fake_f4.cr = value & ~STM32F4_FLASH_CR_STRT;
        if ((value & STM32F4_FLASH_CR_STRT) != 0u) {
            erase_sector(value);
        }
        break;
    default:
        break;
    }
}

uint32_t stm32f4_io_part_read(uint32_t offset)
{
    return fake_f4_word(offset);
}

void stm32f4_io_part_write(uint32_t offset, uint32_t value)
{
    uint32_t snb = (uint32_t)stm32f4_flash_sector(CD_DUMP_BASE + offset);

    if (busy()) {
        fake_f4.writes_while_busy++;
        return;
    }
    if ((fake_f4.cr & STM32F4_FLASH_CR_LOCK) != 0u) {
        fake_f4.writes_while_locked++;
        return;
    }
    if ((fake_f4.cr & STM32F4_FLASH_CR_PG) == 0u || (fake_f4.cr & STM32F4_FLASH_CR_SER) != 0u ||
        (fake_f4.sr & STM32F4_FLASH_SR_ERRORS) != 0u) {
        fake_f4.sr |= STM32F4_FLASH_SR_PGSERR;
        return;
    }
    if ((fake_f4.cr & STM32F4_FLASH_CR_PSIZE_MSK) != STM32F4_FLASH_CR_PSIZE_X32) {
        fake_f4.sr |= STM32F4_FLASH_SR_PGPERR; /* the store was 32 bits wide */
        return;
    }
    if (offset % 4u != 0u) {
        fake_f4.sr |= STM32F4_FLASH_SR_PGAERR;
        return;
    }
    start_op();
    if ((fake_f4.wrp_sectors & (1u << snb)) != 0u) {
        fake_f4.sr |= STM32F4_FLASH_SR_WRPERR;
        return;
    }
    fake_f4.programs++;
    for (uint32_t i = 0; i < 4u; i++) {
        fake_f4.part[offset + i] &= (uint8_t)(value >> (8u * i)); /* NOR: only clears bits */
    }
}
