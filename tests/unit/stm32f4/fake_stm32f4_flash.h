/* SPDX-License-Identifier: Apache-2.0 */
/*
 * A model of the STM32F4 flash interface (RM0090) for host tests of
 * flash_stm32f4.c: KEYR unlock sequence (a wrong key or a key while unlocked
 * is a bus error and locks CR until reset), CR write-protected while locked,
 * sector erase (SER + SNB + STRT), programming (PG, PSIZE must be x32 for the
 * 32-bit stores, alignment), write protection per sector, sticky write-1-to-
 * clear error flags, BSY for a set number of SR reads after each operation,
 * and the data cache reset rule (DCRST only while DCEN = 0). It counts what a
 * correct driver must never do instead of trusting it.
 */
#ifndef FAKE_STM32F4_FLASH_H
#define FAKE_STM32F4_FLASH_H

#include <stdint.h>

#include "cd_test_config.h"

typedef struct {
    /* registers */
    uint32_t acr, sr, cr;
    /* the partition's bytes (sectors 10 and 11) */
    uint8_t part[CD_DUMP_SIZE];
    /* configuration a test sets */
    uint32_t busy_per_op;      /* SR reads that show BSY after each operation */
    uint32_t busy_polls;       /* BSY reads still to come (an operation in progress) */
    int stuck_busy;            /* BSY never clears */
    uint32_t wrp_sectors;      /* bit n: sector n is write-protected */
    int locked_until_reset;    /* a wrong key sequence happened */
    /* what the driver did */
    int key_stage;
    unsigned key_writes;
    unsigned erases[12];       /* sector erases started, per sector */
    unsigned programs;         /* words programmed */
    unsigned dcache_resets;
    /* contract violations: each must stay 0 */
    unsigned bus_errors;       /* bad key sequence, key while unlocked */
    unsigned writes_while_busy;
    unsigned writes_while_locked; /* CR or partition written with CR locked */
    unsigned erases_outside;   /* a sector outside the partition erased */
    unsigned dcache_misuse;    /* DCRST written with DCEN set */
} fake_f4_t;

extern fake_f4_t fake_f4;

/* Power-on state: CR locked, no flags, caches off, partition all 0x00 (so an
 * erase is visible), no BSY, nothing write-protected, counters zero. */
void fake_f4_reset(void);

/* Little-endian word of the partition at byte offset `off`. */
uint32_t fake_f4_word(uint32_t off);

#endif /* FAKE_STM32F4_FLASH_H */
