/* SPDX-License-Identifier: Apache-2.0 */
/*
 * boards/common/flash/flash_stm32f4.c against a model of the STM32F4 flash
 * interface (stm32f4/fake_stm32f4_flash.c): the unlock/erase/program/lock
 * sequences, the PSIZE choice, error flags turned into CD_E_IO and cleared,
 * BSY waits, the data cache reset, and read-back verification. The hardware
 * itself cannot run here; the model rejects what RM0090 says the hardware
 * rejects, and counts what it says must never happen.
 */
#include <stdint.h>
#include <string.h>

#include "crashdump/cd_port.h"
#include "crashdump/cd_status.h"
#include "fake_stm32f4_flash.h"
#include "flash_part.h"
#include "flash_stm32f4.h"
#include "unit.h"

#define SECTOR (128u * 1024u)

/* Nothing a correct driver may do happened, and it left CR locked with no
 * operation bits and no error flags set. */
static void check_clean_exit(void)
{
    CHECK_EQ(fake_f4.bus_errors, 0);
    CHECK_EQ(fake_f4.writes_while_busy, 0);
    CHECK_EQ(fake_f4.writes_while_locked, 0);
    CHECK_EQ(fake_f4.erases_outside, 0);
    CHECK_EQ(fake_f4.dcache_misuse, 0);
    CHECK_EQ(fake_f4.cr, STM32F4_FLASH_CR_LOCK);
    CHECK_EQ(fake_f4.sr & STM32F4_FLASH_SR_ERRORS, 0);
}

static int all_bytes(uint32_t off, uint32_t len, uint8_t v)
{
    for (uint32_t i = 0; i < len; i++) {
        if (fake_f4.part[off + i] != v) {
            return 0;
        }
    }
    return 1;
}

static void setup(void)
{
    fake_f4_reset();
    flash_stm32f4_errors = 0u;
}

TEST(sector_numbers_follow_rm0090_layout)
{
    CHECK_EQ(stm32f4_flash_sector(0x08000000u), 0);
    CHECK_EQ(stm32f4_flash_sector(0x0800C000u), 3);
    CHECK_EQ(stm32f4_flash_sector(0x0800FFFFu), 3);
    CHECK_EQ(stm32f4_flash_sector(0x08010000u), 4);
    CHECK_EQ(stm32f4_flash_sector(0x0801FFFFu), 4);
    CHECK_EQ(stm32f4_flash_sector(0x08020000u), 5);
    CHECK_EQ(stm32f4_flash_sector(0x080C0000u), 10);
    CHECK_EQ(stm32f4_flash_sector(0x080E0000u), 11);
    CHECK_EQ(stm32f4_flash_sector(0x080FFFFFu), 11);
    CHECK_EQ(stm32f4_flash_sector(0x08100000u), -1);
    CHECK_EQ(stm32f4_flash_sector(0x07FFFFFFu), -1);
}

TEST(geometry_is_one_sector_per_erase_unit)
{
    const cd_flash_geometry_t *g = cd_port_flash_geometry();

    CHECK_EQ(g->base, 0x080C0000u);
    CHECK_EQ(g->size, 2u * SECTOR);
    CHECK_EQ(g->erase_size, SECTOR);
    CHECK_EQ(g->write_size, 4u); /* PSIZE x32 */
}

TEST(erase_one_sector_unlocks_erases_only_it_and_locks)
{
    setup();
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_OK);
    CHECK_EQ(fake_f4.erases[10], 1);
    CHECK_EQ(fake_f4.erases[11], 0);
    CHECK(all_bytes(0u, SECTOR, 0xFF));
    CHECK(all_bytes(SECTOR, SECTOR, 0x00));
    CHECK_EQ(fake_f4.key_writes, 2);
    check_clean_exit();
}

TEST(erase_whole_partition_erases_both_sectors)
{
    setup();
    CHECK_EQ(cd_port_flash_erase(0u, 2u * SECTOR), CD_OK);
    CHECK_EQ(fake_f4.erases[10], 1);
    CHECK_EQ(fake_f4.erases[11], 1);
    CHECK(all_bytes(0u, 2u * SECTOR, 0xFF));
    check_clean_exit();
}

TEST(erase_rejects_ranges_that_are_not_whole_sectors_in_the_partition)
{
    setup();
    CHECK_EQ(cd_port_flash_erase(4096u, SECTOR), CD_E_IO);
    CHECK_EQ(cd_port_flash_erase(0u, 4096u), CD_E_IO);
    CHECK_EQ(cd_port_flash_erase(2u * SECTOR, SECTOR), CD_E_IO);
    CHECK_EQ(cd_port_flash_erase(SECTOR, 2u * SECTOR), CD_E_IO);
    CHECK_EQ(cd_port_flash_erase(0xFFFE0000u, 0x40000u), CD_E_IO); /* wraps */
    CHECK_EQ(fake_f4.key_writes, 0);
    CHECK_EQ(fake_f4.erases[10] + fake_f4.erases[11], 0);
    check_clean_exit();
}

TEST(program_writes_words_from_an_unaligned_buffer)
{
    uint8_t buf[65];
    const uint8_t *src = buf + 1; /* odd address: the driver must not cast it */

    setup();
    for (unsigned i = 0; i < sizeof buf; i++) {
        buf[i] = (uint8_t)(i * 37u + 5u);
    }
    CHECK_EQ(cd_port_flash_erase(SECTOR, SECTOR), CD_OK);
    CHECK_EQ(cd_port_flash_program(SECTOR + 32u, src, 64u), CD_OK);
    CHECK_MEM(&fake_f4.part[SECTOR + 32u], src, 64u);
    CHECK_EQ(fake_f4.programs, 16);
    CHECK(all_bytes(SECTOR, 32u, 0xFF));
    CHECK(all_bytes(SECTOR + 96u, SECTOR - 96u, 0xFF));
    check_clean_exit();
}

TEST(program_rejects_unaligned_or_out_of_range_requests)
{
    uint8_t buf[8] = {0};

    setup();
    CHECK_EQ(cd_port_flash_program(2u, buf, 4u), CD_E_IO);
    CHECK_EQ(cd_port_flash_program(0u, buf, 6u), CD_E_IO);
    CHECK_EQ(cd_port_flash_program(2u * SECTOR - 4u, buf, 8u), CD_E_IO);
    CHECK_EQ(fake_f4.key_writes, 0);
    CHECK_EQ(fake_f4.programs, 0);
    check_clean_exit();
}

TEST(program_over_unerased_flash_fails_the_verify)
{
    static const uint8_t ones[4] = {0xFF, 0xFF, 0xFF, 0xFF};

    setup(); /* the partition is all 0x00, i.e. not erased */
    CHECK_EQ(cd_port_flash_program(64u, ones, 4u), CD_E_IO);
    CHECK_EQ(fake_f4_word(64u), 0u);
    check_clean_exit();
}

TEST(write_protected_sector_fails_with_wrperr_and_flags_are_cleared)
{
    static const uint8_t data[4] = {1, 2, 3, 4};

    setup();
    fake_f4.wrp_sectors = 1u << 11;
    CHECK_EQ(cd_port_flash_erase(0u, 2u * SECTOR), CD_E_IO);
    CHECK_EQ(flash_stm32f4_errors, STM32F4_FLASH_SR_WRPERR);
    CHECK(all_bytes(SECTOR, SECTOR, 0x00));
    check_clean_exit();

    flash_stm32f4_errors = 0u;
    CHECK_EQ(cd_port_flash_program(SECTOR, data, 4u), CD_E_IO);
    CHECK_EQ(flash_stm32f4_errors, STM32F4_FLASH_SR_WRPERR);
    CHECK_EQ(fake_f4.programs, 0);
    check_clean_exit();

    /* The unprotected sector still works afterwards. */
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_OK);
    CHECK_EQ(cd_port_flash_program(0u, data, 4u), CD_OK);
    CHECK_MEM(&fake_f4.part[0], data, 4u);
    check_clean_exit();
}

TEST(stale_error_flags_from_earlier_code_are_cleared_first)
{
    static const uint8_t data[8] = {9, 8, 7, 6, 5, 4, 3, 2};

    setup();
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_OK);
    fake_f4.sr = STM32F4_FLASH_SR_PGSERR | STM32F4_FLASH_SR_PGPERR | STM32F4_FLASH_SR_EOP;
    CHECK_EQ(cd_port_flash_program(0u, data, 8u), CD_OK);
    CHECK_MEM(&fake_f4.part[0], data, 8u);
    check_clean_exit();
}

TEST(already_unlocked_interface_gets_no_keys_and_is_locked_after)
{
    static const uint8_t data[4] = {0xA5, 0x5A, 0x00, 0x11};

    setup();
    fake_f4.cr = STM32F4_FLASH_CR_PG | STM32F4_FLASH_CR_PSIZE_X8; /* left by interrupted code */
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_OK);
    CHECK_EQ(fake_f4.key_writes, 0);
    check_clean_exit();
    CHECK_EQ(cd_port_flash_program(0u, data, 4u), CD_OK);
    CHECK_EQ(fake_f4.key_writes, 2);
    CHECK_MEM(&fake_f4.part[0], data, 4u);
    check_clean_exit();
}

TEST(waits_for_busy_before_and_after_every_operation)
{
    uint8_t data[32];

    setup();
    memset(data, 0x3C, sizeof data);
    fake_f4.busy_polls = 50u;  /* an operation still running at entry */
    fake_f4.busy_per_op = 7u;
    CHECK_EQ(cd_port_flash_erase(0u, 2u * SECTOR), CD_OK);
    CHECK_EQ(cd_port_flash_program(128u, data, sizeof data), CD_OK);
    CHECK_MEM(&fake_f4.part[128], data, sizeof data);
    check_clean_exit();
}

TEST(stuck_busy_fails_instead_of_hanging)
{
    static const uint8_t data[4] = {0};

    setup();
    fake_f4.stuck_busy = 1;
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_E_IO);
    CHECK_EQ(flash_stm32f4_errors, STM32F4_FLASH_SR_BSY);
    CHECK_EQ(cd_port_flash_program(0u, data, 4u), CD_E_IO);
    CHECK_EQ(fake_f4.erases[10], 0);
    CHECK_EQ(fake_f4.programs, 0);
    CHECK_EQ(fake_f4.key_writes, 0);
}

TEST(wrong_key_lockout_is_reported_not_retried)
{
    setup();
    fake_f4.locked_until_reset = 1; /* someone wrote a bad key earlier */
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_E_IO);
    CHECK_EQ(flash_stm32f4_errors, STM32F4_FLASH_E_LOCKED);
    CHECK_EQ(fake_f4.erases[10], 0);
    CHECK_EQ(fake_f4.key_writes, 2);
}

TEST(data_cache_is_reset_after_erase_and_program_when_enabled)
{
    static const uint8_t data[4] = {1, 1, 1, 1};

    setup();
    fake_f4.acr = STM32F4_FLASH_ACR_DCEN | 5u; /* 5 wait states, D-cache on */
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_OK);
    CHECK_EQ(fake_f4.dcache_resets, 1);
    CHECK_EQ(cd_port_flash_program(0u, data, 4u), CD_OK);
    CHECK_EQ(fake_f4.dcache_resets, 2);
    CHECK_EQ(fake_f4.acr, STM32F4_FLASH_ACR_DCEN | 5u);
    check_clean_exit();

    setup(); /* cache off: nothing to reset */
    CHECK_EQ(cd_port_flash_erase(0u, SECTOR), CD_OK);
    CHECK_EQ(fake_f4.dcache_resets, 0);
}

TEST(range_check_shared_with_reads_rejects_partial_and_wrapping_ranges)
{
    /* flash_part.c reads the partition at CD_DUMP_BASE, which is not host
     * memory; the range check it shares with the driver is what runs here. */
    CHECK(flash_part_range_ok(0u, 2u * SECTOR, 1u));
    CHECK(!flash_part_range_ok(1u, 2u * SECTOR, 1u));
    CHECK(flash_part_range_ok(2u * SECTOR, 0u, 4u));
    CHECK(!flash_part_range_ok(4u, 0xFFFFFFFCu, 4u));
}

int main(void)
{
    RUN(sector_numbers_follow_rm0090_layout);
    RUN(geometry_is_one_sector_per_erase_unit);
    RUN(erase_one_sector_unlocks_erases_only_it_and_locks);
    RUN(erase_whole_partition_erases_both_sectors);
    RUN(erase_rejects_ranges_that_are_not_whole_sectors_in_the_partition);
    RUN(program_writes_words_from_an_unaligned_buffer);
    RUN(program_rejects_unaligned_or_out_of_range_requests);
    RUN(program_over_unerased_flash_fails_the_verify);
    RUN(write_protected_sector_fails_with_wrperr_and_flags_are_cleared);
    RUN(stale_error_flags_from_earlier_code_are_cleared_first);
    RUN(already_unlocked_interface_gets_no_keys_and_is_locked_after);
    RUN(waits_for_busy_before_and_after_every_operation);
    RUN(stuck_busy_fails_instead_of_hanging);
    RUN(wrong_key_lockout_is_reported_not_retried);
    RUN(data_cache_is_reset_after_erase_and_program_when_enabled);
    RUN(range_check_shared_with_reads_rejects_partial_and_wrapping_ranges);
    return UNIT_END();
}
