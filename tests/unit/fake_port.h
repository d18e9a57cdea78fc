/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Fake port for host-native unit tests: a settable memory map, a captured TX
 * stream, a reset counter and a simulated flash partition with power-cut
 * injection, all inspectable by the tests.
 */
#ifndef FAKE_PORT_H
#define FAKE_PORT_H

#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>

#include "crashdump/cd_port.h"

#define FAKE_TX_CAP (1u << 20)

extern uint8_t fake_tx[FAKE_TX_CAP];  /* every byte sent through cd_port_tx() */
extern size_t fake_tx_len;
extern int fake_resets;               /* cd_port_reset() calls */

/* Replaces the memory map (the table must outlive its use). Empty until set. */
void fake_set_memory_map(const cd_mem_region_t *map, size_t count);

/* Sets the build-id returned by cd_port_build_id(). */
void fake_set_build_id(const uint8_t *id, size_t len);

void fake_tx_clear(void);

/* Called by cd_port_tx() after it captured buf, if set: lets a test play the
 * RX interrupt firing while the device is sending (e.g. cd_proto_rx_byte()). */
extern void (*fake_tx_hook)(const uint8_t *buf, size_t len);

/* ---- simulated flash (the dump partition)
 *
 * Default geometry: 16 KiB at base 0x00200000, 1 KiB erase pages, write_size 4,
 * erased (0xFF). Programming only clears bits (new = old & data), like NOR flash;
 * programming a unit that is not erased is counted in fake_flash_overprogram.
 * Every erase or program call is one operation; fake_flash_ops counts them.
 *
 * Power cut: with fake_flash_cut_at = N (> 0), operation number N (1-based,
 * counted from the last fake_flash_reset_ops()) is applied partially -- a
 * program writes the first half of its bytes, an erase erases its first half
 * of pages and leaves the page after them full of random bytes -- and then
 * the "CPU stops": longjmp(fake_cut_jmp, 1). */
#define FAKE_FLASH_CAP (64u * 1024u)

extern uint8_t fake_flash[FAKE_FLASH_CAP];
extern cd_flash_geometry_t fake_geometry;
extern uint32_t fake_flash_ops;       /* erase + program calls since fake_flash_reset_ops() */
extern uint32_t fake_flash_erases, fake_flash_programs;
extern uint32_t fake_flash_overprogram; /* program calls that hit non-erased bytes */
extern uint32_t fake_flash_cut_at;    /* 0 = no power cut */
extern int fake_flash_fail_io;        /* nonzero: every erase/program returns CD_E_IO */
/* Fault during a flash operation: with fake_flash_fault_at = N (> 0), operation
 * N is applied partially as for a power cut, then fake_flash_fault_fn() runs,
 * as a fault handler would preempt the code that started the operation (it
 * is expected not to return: cd_crash_handle() resets). */
/* Called at the start of every program operation (NULL: none): a test changes
 * the memory being dumped under the writer with it. */
extern void (*fake_flash_program_hook)(void);
/* With fake_flash_flip_at = N (> 0), program call N (counted in
 * fake_flash_programs) leaves one bit of its first byte wrong: flash that
 * did not take what was written. */
extern uint32_t fake_flash_flip_at;
extern uint32_t fake_flash_fault_at;
extern void (*fake_flash_fault_fn)(void);
extern jmp_buf fake_cut_jmp;

/* Erased flash with the given geometry (size <= FAKE_FLASH_CAP); clears counters and cut. */
void fake_flash_setup(uint32_t size, uint32_t erase_size, uint32_t write_size);
void fake_flash_reset_ops(void);

/* cd_arch_reset() (noreturn) longjmps here; fake_arch_resets counts the calls.
 * fake_reset_armed must be set by the test (after setjmp) or the process aborts. */
extern jmp_buf fake_reset_jmp;
extern int fake_reset_armed;
extern int fake_arch_resets;

/* cd_fault_inject() stub for the host build: records the kind, returns
 * fake_fault_inject_rc. */
extern uint32_t fake_fault_kind;
extern int fake_fault_inject_rc;

#endif /* FAKE_PORT_H */
