/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dump partition in RAM that stands in for NOR flash (QEMU's mps2 machines,
 * where the "flash" at 0x0 is RAM). It keeps NOR's rules so code that works
 * here works on real flash: erase sets a page to 0xFF, programming can only
 * clear bits (dst &= src) and is verified, so programming a word that was not
 * erased (or not compatible) fails with CD_E_IO instead of silently working.
 *
 * Contents survive a warm reset only if the partition lies outside every
 * loaded ELF segment (QEMU re-copies those on reset): the board's linker
 * script keeps it out of FLASH.
 *
 * No interrupts, no waiting: callable from the fault handler.
 */
#include <stdint.h>

#include "crashdump/cd_port.h"
#include "crashdump/cd_status.h"
#include "flash_part.h"

#define PART ((volatile uint32_t *)CD_DUMP_BASE)

int cd_port_flash_erase(uint32_t offset, uint32_t len)
{
    if (!flash_part_range_ok(offset, len, CD_DUMP_ERASE_SIZE)) {
        return CD_E_IO;
    }
    for (uint32_t i = offset / 4u; i < (offset + len) / 4u; i++) {
        PART[i] = 0xFFFFFFFFu;
    }
    return CD_OK;
}

int cd_port_flash_program(uint32_t offset, const void *data, uint32_t len)
{
    const uint8_t *src = data;

    if (!flash_part_range_ok(offset, len, FLASH_PART_WRITE_SIZE)) {
        return CD_E_IO;
    }
    for (uint32_t i = 0; i < len; i += 4u) {
        uint32_t w = flash_part_le32(src + i);
        volatile uint32_t *dst = &PART[(offset + i) / 4u];

        *dst &= w;
        if (*dst != w) {
            return CD_E_IO; /* a bit that was already 0 had to become 1 */
        }
    }
    return CD_OK;
}
