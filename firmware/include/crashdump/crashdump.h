/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump public API.
 *
 * One instance per firmware image. Call cd_init() once at boot, before any other
 * function and before enabling interrupts that write to rings. All persistent
 * state lives in a caller-provided storage block placed in a .noinit section,
 * so rings survive a warm reset; the library itself uses no heap.
 *
 * Context notes on each prototype: "any" means thread or interrupt context
 * (the call masks interrupts for a bounded time), "thread" means not from an
 * interrupt handler, "fault" means safe from the fault handler.
 */
#ifndef CRASHDUMP_H
#define CRASHDUMP_H

#include <stddef.h>
#include <stdint.h>

#include "crashdump/cd_config.h"
#include "crashdump/cd_format.h"
#include "crashdump/cd_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Place a variable in the .noinit section (the board's linker script must keep
 * it in a NOLOAD region that startup code neither zeroes nor copies). */
#define CD_NOINIT __attribute__((section(".noinit"), aligned(8)))

/* Bytes of storage cd_init() needs. Arguments are the cd_config_t fields of the
 * same names. Use it to size the CD_NOINIT storage array. */
#define CD_STORAGE_SIZE(self_item_size, self_item_count, source_count, source_max_bytes,  \
                        triage_count)                                                     \
    (CD_STORE_HDR_SIZE + sizeof(cd_ring_hdr_t) +                                          \
     (size_t)CD_RING_STRIDE(self_item_size) * (self_item_count) +                          \
     (size_t)(source_count) * (sizeof(cd_ring_hdr_t) + (size_t)(source_max_bytes)) +       \
     (size_t)(triage_count) * sizeof(cd_triage_range_t))

#define CD_STORE_HDR_SIZE 32u

/* A registered triage range. */
typedef struct {
    uintptr_t addr;
    size_t len;
} cd_triage_range_t;

/* Opaque sink the additional-data write callback emits bytes into (issue: dumps). */
typedef struct cd_writer cd_writer_t;

/* Fault context. Returns the number of additional-data bytes the write callback
 * will emit (0 = none). Called first so the dump can be sized. */
typedef size_t (*cd_additional_query_fn)(void *user);

/* Fault context. Emits exactly the number of bytes query returned, with
 * cd_writer_put(). Must not block, allocate or fault. */
typedef void (*cd_additional_write_fn)(void *user, cd_writer_t *w);

/* Fault context. Sees the fault code and parameters; may call cd_triage_add()
 * to add ranges for this crash only. */
typedef void (*cd_triage_fn)(void *user, uint32_t code, uint32_t p1, uint32_t p2, uint32_t p3,
                             uint32_t p4);

/* Configuration, the counterpart of DMF_CONFIG_CrashDump. cd_init() copies what
 * it needs; the struct need not outlive the call. */
typedef struct {
    const char *component_name;   /* required; at most CD_NAME_LEN - 1 chars */

    /* The firmware's own ("self") ring. */
    cd_guid_t self_guid;          /* required, non-zero */
    const char *self_label;       /* optional, default "self" */
    uint16_t self_item_size;      /* bytes per record, 1..CD_ITEM_MAX */
    uint32_t self_item_count;     /* records, >= 1 */

    /* Host-created data sources. */
    uint32_t source_count;        /* slots, 0..65535; 0 disables sources */
    uint32_t source_max_bytes;    /* cap per source: count * CD_RING_STRIDE(item_size);
                                     a multiple of 4 when source_count > 0 */

    /* Additional data: both callbacks or neither; guid non-zero when set. */
    cd_guid_t additional_guid;
    cd_additional_query_fn additional_query;
    cd_additional_write_fn additional_write;

    /* Triage ranges. */
    uint32_t triage_count;        /* table entries, 0..65535 */
    cd_triage_fn triage_cb;       /* optional fault-time callback */

    void *user;                   /* passed to every callback */

    /* Crash dumps (the partition comes from cd_port_flash_geometry()). */
    uint32_t dump_slots;          /* slots, >= 2; 0 = 2. With 3 or more, the first crash of
                                     a loop and the most recent are both always kept */
    uint32_t stack_dump_bytes;    /* stack bytes above SP saved in a dump; 0 = 1024 */
    uint32_t crash_loop_limit;    /* consecutive crashes (without cd_mark_healthy()) after
                                     which dumps are no longer written; 0 = no limit */
    uint32_t thread_stack_bytes;  /* with threads (CD_THREAD_MAX): bytes of each other
                                     thread's stack, from its saved SP up, saved in a
                                     dump (its saved context and innermost frames);
                                     0 = 512 */

    /* Persistent storage: CD_NOINIT, 8-byte aligned, at least CD_STORAGE_SIZE(...). */
    void *storage;
    size_t storage_size;
} cd_config_t;

/* Thread, at boot. Validates cfg; on success adopts every ring in storage whose
 * header and cursors are intact (warm reset) and reinitialises the rest, clears
 * the triage table and counts the boot. On failure returns CD_E_CONFIG or
 * CD_E_NOSPACE and changes nothing, not even storage. */
int cd_init(const cd_config_t *cfg);

/* Boots counted since storage was last initialised from scratch. Any. */
uint32_t cd_boot_count(void);

/* Opaque ring handle (points into storage). */
typedef struct cd_ring cd_ring_t;

/* Snapshot of a ring's cursors. */
typedef struct {
    uint32_t head_seq;    /* sequence of the next write */
    uint32_t oldest_seq;  /* oldest item still held */
    uint32_t lost;        /* items overwritten before being read, total */
    uint32_t count;       /* slots */
    uint16_t item_size;
} cd_ring_stat_t;

/* ---- rings (any ring: self or a data source) */

/* Any. Appends one item of 1..item_size bytes, overwriting the oldest when full.
 * Stores its sequence number in *seq if seq is not NULL.
 * Returns CD_OK, CD_E_INVAL (len 0 or NULL data) or CD_E_ITEM_TOO_LARGE. */
int cd_ring_write(cd_ring_t *r, const void *data, size_t len, uint32_t *seq);

/* Any. Removes the oldest item and copies it to buf (cap bytes). On success
 * returns the item length and sets *seq, and *lost to the number of items
 * overwritten since the previous read. CD_E_EMPTY if none; CD_E_NOSPACE if cap
 * is smaller than the item (the item stays). */
int cd_ring_read(cd_ring_t *r, void *buf, size_t cap, uint32_t *seq, uint32_t *lost);

/* Any. Copies item `seq` without removing it; returns its length, CD_E_NOT_FOUND
 * if seq is not held (already overwritten, read, or not yet written), or
 * CD_E_NOSPACE if cap is too small. Capture = peek oldest_seq .. head_seq - 1. */
int cd_ring_peek(const cd_ring_t *r, uint32_t seq, void *buf, size_t cap);

/* Any. Fills *st. */
void cd_ring_stat(const cd_ring_t *r, cd_ring_stat_t *st);

/* Any. GUID and label of a ring (pointers into storage). */
const cd_guid_t *cd_ring_guid(const cd_ring_t *r);
const char *cd_ring_label(const cd_ring_t *r); /* CD_LABEL_LEN bytes, maybe not NUL-terminated */

/* ---- the self ring (the seed's DataSourceWriteSelf) */

/* Any. cd_ring_write() on the self ring. */
int cd_self_write(const void *data, size_t len);

/* Any. The self ring. */
cd_ring_t *cd_self_ring(void);

/* ---- data sources */

/* Thread. Creates a source, or re-attaches to the one with this GUID, keeping its
 * data (then *reattached = 1). label may be NULL. Returns CD_OK, CD_E_INVAL
 * (zero GUID, item_size 0, count 0), CD_E_ITEM_TOO_LARGE (item_size > CD_ITEM_MAX),
 * CD_E_RING_TOO_LARGE (count * stride > source_max_bytes), CD_E_GEOMETRY (exists
 * with another item_size or count), CD_E_SOURCE_LIMIT (no free slot). */
int cd_source_create(const cd_guid_t *guid, const char *label, uint16_t item_size, uint32_t count,
                     cd_ring_t **out, int *reattached);

/* Any. Finds a source by GUID; NULL if none. */
cd_ring_t *cd_source_find(const cd_guid_t *guid);

/* Thread. Destroys a source and its data. CD_OK or CD_E_UNKNOWN_SOURCE. */
int cd_source_destroy(const cd_guid_t *guid);

/* Any. The index-th source in use (0-based, in slot order) or NULL; *total gets
 * the number in use when total is not NULL. */
cd_ring_t *cd_source_at(uint32_t index, uint32_t *total);

/* ---- triage ranges */

/* Thread or fault (from the triage callback). Registers [addr, addr+len).
 * CD_E_INVAL (len 0 or wraps), CD_E_TRIAGE_RANGE (not inside one region of the
 * board's memory map), CD_E_TRIAGE_FULL. Adding an identical range twice is OK
 * and keeps one entry. */
int cd_triage_add(const void *addr, size_t len);

/* Thread. Removes a range registered with exactly this addr and len.
 * CD_OK or CD_E_NOT_FOUND. */
int cd_triage_remove(const void *addr, size_t len);

/* Any. The index-th range or NULL; *total gets the number in use. */
const cd_triage_range_t *cd_triage_at(uint32_t index, uint32_t *total);

/* ---- crashes */

/* Any, fault. Software bug check for asserts and panics: captures the caller's
 * registers, writes a dump with reason CD_REASON_BUGCHECK and these code and
 * parameters, and resets. Does not return. */
__attribute__((noreturn)) void cd_bugcheck(uint32_t code, uint32_t p1, uint32_t p2, uint32_t p3,
                                           uint32_t p4);

/* Bug check with code CD_BUGCHECK_ASSERT, p1 = line, p2 = address of the file name. */
#define CD_BUGCHECK_ASSERT 0xA55E0000u
#define CD_ASSERT(expr)                                                                   \
    do {                                                                                  \
        if (!(expr)) {                                                                    \
            cd_bugcheck(CD_BUGCHECK_ASSERT, (uint32_t)__LINE__, (uint32_t)(uintptr_t)__FILE__, \
                        0u, 0u);                                                          \
        }                                                                                 \
    } while (0)

/* Bug check codes of the RTOS adapters (crashdump/cd_freertos.h): a thread's
 * stack overflowed (p1 = thread id, p2 = address of its name), an allocation
 * failed. */
#define CD_BUGCHECK_STACK_OVERFLOW 0x57AC0F00u
#define CD_BUGCHECK_MALLOC_FAILED 0xA110CF00u

/* Interrupt. Call from a watchdog's early-warning interrupt: dumps the
 * interrupted context with reason CD_REASON_WATCHDOG and resets. Does not return. */
__attribute__((noreturn)) void cd_watchdog_warning(void);

/* Thread. Tells crashdump the firmware is healthy (e.g. after a minute of
 * uptime): resets the consecutive-crash counter used by crash_loop_limit. */
void cd_mark_healthy(void);

/* Any. Crashes since the last cd_mark_healthy() (0 after a clean start). */
uint32_t cd_crash_loop_count(void);

/* Any. Copies the crash record of the last crash (kept in .noinit, written
 * before the dump itself). CD_OK, or CD_E_NOT_FOUND if there is none. */
int cd_last_crash(cd_crash_record_t *out);

/* Not for the firmware: a debug probe finds the dump slots here, by this
 * symbol's address in the ELF (host `crashdump dump pull --probe`). Written by
 * cd_init(); all zero before it or if storage setup failed. */
extern cd_dump_locator_t cd_dump_locator;

/* Fault (from the additional-data write callback). Appends len bytes to the
 * additional-data section. Returns CD_OK, or CD_E_NOSPACE once the bytes
 * promised by the query callback are used up (the excess is dropped). */
int cd_writer_put(cd_writer_t *w, const void *data, size_t len);

/* Any. Test builds (CD_ENABLE_FAULT_CMDS): the CD_FAULT_* kind the host asked to
 * inject, so a demo's triage callback can misbehave on purpose
 * (CD_FAULT_TRIAGE_UNMAPPED, CD_FAULT_NESTED); 0 otherwise and in release builds. */
uint32_t cd_fault_injected(void);

/* ---- threads (an RTOS, or any scheduler; docs/rtos.md)
 *
 * With CD_THREAD_MAX > 0 (config header) a dump lists the registered threads:
 * which one was running, each one's stack bounds and saved stack pointer, and
 * the top of each stack, so the host shows every thread's backtrace. The
 * FreeRTOS adapter (crashdump/cd_freertos.h) makes these calls from the
 * kernel's hooks. With CD_THREAD_MAX == 0 they do nothing. */

/* Thread or the RTOS's task-create hook. Registers a thread, or updates the
 * one with this id: id non-zero and unique (e.g. the TCB's address); name a
 * NUL-terminated string the thread outlives (read at fault time, at most
 * CD_LABEL_LEN chars kept; may be NULL); its stack [stack_lo, stack_hi); and
 * sp_slot, where the scheduler keeps the thread's stack pointer while it is
 * switched out (FreeRTOS: the TCB's first word). CD_OK, CD_E_INVAL, or
 * CD_E_NOSPACE when CD_THREAD_MAX threads are registered. */
int cd_thread_add(uint32_t id, const char *name, uintptr_t stack_lo, uintptr_t stack_hi,
                  const volatile uint32_t *sp_slot);

/* Thread or the RTOS's task-delete hook. CD_OK, or CD_E_NOT_FOUND. */
int cd_thread_remove(uint32_t id);

/* The context switch (interrupts masked, or from PendSV): thread `id` runs
 * from now on (0 = none of the registered ones). Also moves the stack
 * guard to its stack: PSPLIM on ARMv8-M Mainline; on ARMv7-M with
 * CD_THREAD_GUARD_REGION set, an MPU no-access region over the lowest
 * 32-byte block of its stack. Constant time, a few dozen cycles. */
void cd_thread_switch(uint32_t id);

/* Any. The id last passed to cd_thread_switch(). */
uint32_t cd_thread_current(void);

/* ---- serial protocol (docs/protocol.md) */

/* Any (UART RX interrupt or a polling loop). Feeds one received byte to the
 * frame parser. Never blocks; a byte arriving while a complete frame waits for
 * cd_proto_poll() is dropped and counted, and the parser resynchronises on the
 * next delimiter. */
void cd_proto_rx_byte(uint8_t b);

/* Thread. If a complete frame is waiting, checks it, executes the command and
 * sends the response through cd_port_tx(); a repeat of the last request
 * executed is answered with the kept response instead of being executed again.
 * The RX interrupt may complete the next request while the response is being
 * sent; the next call handles it. Returns 1 if it handled a frame. */
int cd_proto_poll(void);

#ifdef __cplusplus
}
#endif

#endif /* CRASHDUMP_H */
