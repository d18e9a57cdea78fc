/*
 * board.h for the host unit test of boards/common/flash/flash_stm32f4.c: the
 * stm32f4-discovery partition (sectors 10 and 11), and a short BSY timeout so
 * the stuck-busy case ends quickly.
 */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_DUMP_BASE 0x080C0000u
#define BOARD_DUMP_SIZE (256u * 1024u)
#define BOARD_DUMP_ERASE_SIZE (128u * 1024u)
#define BOARD_FLASH_WAIT_LOOPS 1000u

#endif /* BOARD_H */
