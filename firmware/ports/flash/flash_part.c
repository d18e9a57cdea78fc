/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The parts of the dump-partition port that every driver in this folder
 * shares: the geometry from board.h, and reads, which are plain loads because
 * each partition here is memory-mapped. Linked together with one driver
 * (flash_ram.c or flash_nvmc.c) that erases and programs.
 */
#include <stdint.h>

#include "crashdump/cd_port.h"
#include "crashdump/cd_status.h"
#include "flash_part.h"

static const cd_flash_geometry_t geometry = {
    .base = CD_DUMP_BASE,
    .size = CD_DUMP_SIZE,
    .erase_size = CD_DUMP_ERASE_SIZE,
    .write_size = FLASH_PART_WRITE_SIZE,
};

const cd_flash_geometry_t *cd_port_flash_geometry(void)
{
    return &geometry;
}

int cd_port_flash_read(uint32_t offset, void *buf, uint32_t len)
{
    const volatile uint8_t *src = (const volatile uint8_t *)CD_DUMP_BASE + offset;
    uint8_t *dst = buf;

    if (!flash_part_range_ok(offset, len, 1u)) {
        return CD_E_IO;
    }
    for (uint32_t i = 0; i < len; i++) {
        dst[i] = src[i];
    }
    return CD_OK;
}
