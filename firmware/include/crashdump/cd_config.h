/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump build-time settings.
 *
 * A firmware sets them in its own config header, named by CD_CONFIG_FILE
 * (CMake: set CRASHDUMP_CONFIG_FILE to its path before adding crashdump; by
 * hand: -DCD_CONFIG_FILE='"my_crashdump_config.h"' and its folder on the
 * include path), as mbedTLS and lwIP do. Every crashdump source includes it
 * first, so one header configures the library and the port targets alike; it
 * is included from assembly too, so it may hold only preprocessor lines. A
 * plain -D on the command line works too, for any setting the header does not
 * define. What neither sets gets the default below, which suits a part with
 * 32 KiB of RAM.
 *
 * The dump partition of the flash driver targets (CD_DUMP_BASE, CD_DUMP_SIZE,
 * CD_DUMP_ERASE_SIZE) has no default: see firmware/ports/flash/flash_part.h.
 */
#ifndef CD_CONFIG_H
#define CD_CONFIG_H

#ifdef CD_CONFIG_FILE
#include CD_CONFIG_FILE
#endif

/* Largest frame before COBS (header + payload + CRC), both directions. Sets the
 * size of the protocol's two frame buffers. Default 1024; at least 128. */
#ifndef CD_FRAME_MAX
#define CD_FRAME_MAX 1024u
#endif

/* Largest item size any ring may be created with, bytes. Must fit one capture
 * reply: CD_ITEM_MAX + 2 <= CD_FRAME_MAX - 8 - sizeof(cd_wire_items_t).
 * Default 256. */
#ifndef CD_ITEM_MAX
#define CD_ITEM_MAX 256u
#endif

/* Build the test-only fault injection commands (CMake: CRASHDUMP_FAULT_CMDS,
 * which also adds their sources). Default 0: a release device answers FAULT
 * with UNSUPPORTED and does not advertise it in INFO. */
#ifndef CD_ENABLE_FAULT_CMDS
#define CD_ENABLE_FAULT_CMDS 0
#endif

/* The library's version, reported in INFO; cmake/crashdump.cmake sets it from
 * the VERSION file, which the host package (pyproject.toml) shares. */
#ifndef CD_VERSION_MAJOR
#define CD_VERSION_MAJOR 0
#define CD_VERSION_MINOR 0
#define CD_VERSION_PATCH 0
#endif

/* Threads a dump can list (cd_thread_add()); 0 (the default) leaves the
 * thread table and its code out. Each costs 20 bytes of RAM. */
#ifndef CD_THREAD_MAX
#define CD_THREAD_MAX 0
#endif

/* The saved-context layout of the scheduler's context switch, CD_CTX_* in
 * cd_format.h (recorded in each dump's thread sections so the host can read a
 * switched-out thread's registers). Default CD_CTX_R4_R11_LR (FreeRTOS's
 * ARM_CM4F and ARM_CM7 ports, and this repository's test scheduler). */
#ifndef CD_THREAD_CONTEXT
#define CD_THREAD_CONTEXT 1
#endif

/* ARMv7-M: the MPU region cd_thread_switch() uses as a guard at the bottom
 * of the running thread's stack (a no-access region over its lowest 32-byte
 * aligned block; the firmware enables the MPU with PRIVDEFENA, or crashdump
 * does it on the first switch). Unset (the default): no thread guard on
 * ARMv7-M. ARMv8-M Mainline always uses PSPLIM instead. */
/* #define CD_THREAD_GUARD_REGION 7 */

/* Number of external interrupts in crashdump::startup's vector table, whose
 * handlers are IRQ0_Handler .. IRQ<n-1>_Handler (cm_startup.h). Default 0:
 * core exceptions only. */
#ifndef CD_IRQ_COUNT
#define CD_IRQ_COUNT 0
#endif

/* CD_WATCHDOG_IRQ (no default): the external interrupt that is the
 * watchdog's early warning, as a plain decimal number. crashdump::crashdump
 * then defines IRQ<n>_Handler as cd_watchdog_warning() itself, and the test
 * fault commands raise the watchdog fault by pending it. */

#endif /* CD_CONFIG_H */
