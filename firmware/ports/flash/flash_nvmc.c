/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dump partition in the internal flash of an nRF5 (nRF51, nRF52): the NVMC at
 * 0x4001E000, whose READY/CONFIG/ERASEPAGE offsets are the same on both
 * families. The page size (1 KiB on nRF51, 4 KiB on nRF52) is the board's
 * CD_DUMP_ERASE_SIZE.
 *
 * Rules the NVMC imposes: erase and write must be enabled in CONFIG first;
 * writes are whole aligned 32-bit words (a byte or half-word store faults);
 * programming only clears bits; READY must be polled after each operation
 * (the CPU stalls on real silicon anyway while the flash is busy).
 *
 * Polling only, no interrupts, no vendor headers: callable from the fault
 * handler with interrupts masked. The code runs from the same flash; the NVMC
 * stalls instruction fetches while it works, which is what the nRF5 reference
 * manuals specify for code executing from flash.
 */
#include <stdint.h>

#include "crashdump/cd_port.h"
#include "crashdump/cd_status.h"
#include "flash_part.h"

#ifndef CD_NVMC_BASE
#define CD_NVMC_BASE 0x4001E000u
#endif

#define NVMC_READY (*(volatile uint32_t *)(CD_NVMC_BASE + 0x400u))
#define NVMC_CONFIG (*(volatile uint32_t *)(CD_NVMC_BASE + 0x504u))
#define NVMC_ERASEPAGE (*(volatile uint32_t *)(CD_NVMC_BASE + 0x508u))

#define NVMC_CONFIG_REN 0u /* read only */
#define NVMC_CONFIG_WEN 1u /* write enabled */
#define NVMC_CONFIG_EEN 2u /* erase enabled */

#define PART ((volatile uint32_t *)CD_DUMP_BASE)

static void nvmc_wait(void)
{
    while ((NVMC_READY & 1u) == 0u) {
    }
}

static void nvmc_config(uint32_t mode)
{
    nvmc_wait();
    NVMC_CONFIG = mode;
    nvmc_wait();
}

int cd_port_flash_erase(uint32_t offset, uint32_t len)
{
    int rc = CD_OK;

    if (!flash_part_range_ok(offset, len, CD_DUMP_ERASE_SIZE)) {
        return CD_E_IO;
    }
    nvmc_config(NVMC_CONFIG_EEN);
    for (uint32_t page = offset; page < offset + len; page += CD_DUMP_ERASE_SIZE) {
        NVMC_ERASEPAGE = CD_DUMP_BASE + page;
        nvmc_wait();
    }
    nvmc_config(NVMC_CONFIG_REN);
    for (uint32_t i = offset / 4u; i < (offset + len) / 4u; i++) {
        if (PART[i] != 0xFFFFFFFFu) {
            rc = CD_E_IO;
            break;
        }
    }
    return rc;
}

int cd_port_flash_program(uint32_t offset, const void *data, uint32_t len)
{
    const uint8_t *src = data;
    int rc = CD_OK;

    if (!flash_part_range_ok(offset, len, FLASH_PART_WRITE_SIZE)) {
        return CD_E_IO;
    }
    nvmc_config(NVMC_CONFIG_WEN);
    for (uint32_t i = 0; i < len; i += 4u) {
        uint32_t w = flash_part_le32(src + i);

        PART[(offset + i) / 4u] = w;
        nvmc_wait();
    }
    nvmc_config(NVMC_CONFIG_REN);
    /* Verify after leaving write mode: a word that was not erased reads back
     * as the AND of old and new contents. */
    for (uint32_t i = 0; i < len; i += 4u) {
        uint32_t w = flash_part_le32(src + i);

        if (PART[(offset + i) / 4u] != w) {
            rc = CD_E_IO;
            break;
        }
    }
    return rc;
}
