/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump config header (CD_CONFIG_FILE) for the host unit test of
 * firmware/ports/flash/flash_stm32f4.c: the
 * stm32f4-discovery partition (sectors 10 and 11), and a short BSY timeout so
 * the stuck-busy case ends quickly.
 */
#ifndef CD_TEST_CONFIG_H
#define CD_TEST_CONFIG_H

#define CD_DUMP_BASE 0x080C0000u
#define CD_DUMP_SIZE (256u * 1024u)
#define CD_DUMP_ERASE_SIZE (128u * 1024u)
#define CD_FLASH_WAIT_LOOPS 1000u

#endif /* CD_TEST_CONFIG_H */
