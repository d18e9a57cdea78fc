/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Dump partition geometry shared by the flash drivers in this folder (CMake
 * targets crashdump::flash_ram, crashdump::flash_nvmc, crashdump::flash_stm32f4:
 * each is flash_part.c, for geometry and reads, plus one driver that erases and
 * programs). The firmware gives them the partition through these constants, in
 * its crashdump config header (CD_CONFIG_FILE, see cd_config.h) or with -D:
 *
 *   CD_DUMP_BASE        CPU address of the partition, erase-unit aligned
 *   CD_DUMP_SIZE        bytes, a multiple of CD_DUMP_ERASE_SIZE
 *   CD_DUMP_ERASE_SIZE  erase unit (flash page), bytes, a power of two
 *
 * The program unit is always one 32-bit word (FLASH_PART_WRITE_SIZE).
 */
#ifndef FLASH_PART_H
#define FLASH_PART_H

#include <stdint.h>

#include "crashdump/cd_config.h"
#include "crashdump/cd_port.h"

#if !defined(CD_DUMP_BASE) || !defined(CD_DUMP_SIZE) || !defined(CD_DUMP_ERASE_SIZE)
#error "crashdump flash driver: define CD_DUMP_BASE, CD_DUMP_SIZE and CD_DUMP_ERASE_SIZE (config header or -D)"
#endif

#define FLASH_PART_WRITE_SIZE 4u

_Static_assert((CD_DUMP_ERASE_SIZE & (CD_DUMP_ERASE_SIZE - 1u)) == 0u,
               "erase size must be a power of two");
_Static_assert(CD_DUMP_BASE % CD_DUMP_ERASE_SIZE == 0u, "partition must start on a page");
_Static_assert(CD_DUMP_SIZE % CD_DUMP_ERASE_SIZE == 0u && CD_DUMP_SIZE != 0u,
               "partition must be whole pages");

/* 1 if [offset, offset + len) lies inside the partition and both ends are
 * multiples of `unit`; written to be overflow-free for any offset and len. */
static inline int flash_part_range_ok(uint32_t offset, uint32_t len, uint32_t unit)
{
    return offset <= CD_DUMP_SIZE && len <= CD_DUMP_SIZE - offset &&
           offset % unit == 0u && len % unit == 0u;
}

/* The little-endian word at p, which need not be aligned. */
static inline uint32_t flash_part_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif /* FLASH_PART_H */
