/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal interfaces shared by the portable core's files. Not part of the API.
 */
#ifndef CD_INTERNAL_H
#define CD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "crashdump/crashdump.h"

/* CRC-32/ISO-HDLC (zlib). Start with crc = 0; chain by passing the previous result. */
uint32_t cd_crc32(uint32_t crc, const void *data, size_t len);

/* Any, fault. The library's memcpy, memset(0) and memcmp() == 0 (cd_crc.c):
 * it calls no C library function. cd_copy copies upwards, byte by byte, so it
 * is also right for an overlapping move to a lower address (memmove). */
void cd_copy(void *dst, const void *src, size_t len);
void cd_zero(void *dst, size_t len);
int cd_equal(const void *a, const void *b, size_t len);

/* Any. n / d for d != 0: the divide instruction where the core has one, else
 * cd_udiv_shift() (shift and subtract, 32 steps; what Cortex-M0 builds use). */
uint32_t cd_udiv(uint32_t n, uint32_t d);
uint32_t cd_udiv_shift(uint32_t n, uint32_t d);

/* Fills *info for the INFO command (everything but the rx counters). */
void cd_core_info(cd_wire_info_t *info);

/* Thread, with the RX interrupt off (tests, fuzzers). Returns the protocol to
 * its state at power-up: no partial or pending frame, no remembered request
 * (so nothing is taken for a repeat), rx counters zero. A target never needs
 * it: its .bss starts zeroed. */
void cd_proto_reset(void);

/* ---- rings (cd_ring.c)
 *
 * A ring in storage is exactly its cd_ring_hdr_t followed by hdr.count slots
 * of hdr.stride bytes (cd_format.h), so it can be copied verbatim into a dump.
 */
struct cd_ring {
    cd_ring_hdr_t hdr;
    /* hdr.count * hdr.stride slot bytes follow */
};

/* Fills the fixed part of *h (magic, version, geometry, guid, label padded
 * with NULs, hdr_crc) and zeroes the cursors. label may be NULL (all NULs);
 * a label longer than CD_LABEL_LEN is truncated. Does not validate. */
void cd_ring_hdr_make(cd_ring_hdr_t *h, const cd_guid_t *guid, const char *label,
                      uint16_t item_size, uint32_t count);

/* Thread. Formats an empty ring at r: header as cd_ring_hdr_make(), slots
 * zeroed. The caller guarantees sizeof(cd_ring_hdr_t) + count * stride bytes.
 * The magic is stored last, so a concurrent reader that keys on it (source
 * lookup) never sees a half-built ring. */
void cd_ring_init(cd_ring_t *r, const cd_guid_t *guid, const char *label, uint16_t item_size,
                  uint32_t count);

/* Thread, at boot. Checks a ring found in storage before adopting it: magic,
 * version, hdr_crc, geometry (item_size 1..CD_ITEM_MAX, stride, count >= 1,
 * count * stride <= slot_bytes_max), idx (< count, == head % count when count
 * is a power of two) and the length field of every slot held. Any tail is
 * possible (writes never move it: a lag of any size modulo 2^32), so tail is
 * not checked; on success a tail 2^31 or more behind head is folded into lost
 * (tail set to the oldest item held), keeping it away from the 2^32 wrap. Reads only
 * header bytes and slots within slot_bytes_max; writes only tail and lost.
 * Returns CD_OK or CD_E_CORRUPT. */
int cd_ring_check(cd_ring_t *r, size_t slot_bytes_max);

/* ---- threads (cd_thread.c) */

/* A registered thread (id 0: a free entry). */
typedef struct {
    uint32_t id;
    const char *name;
    uintptr_t stack_lo, stack_hi;
    const volatile uint32_t *sp_slot;
} cd_thread_t;

/* Any, fault. The index-th registered thread or NULL; *total gets how many
 * are registered when total is not NULL. */
const cd_thread_t *cd_thread_at(uint32_t index, uint32_t *total);

/* ---- core (cd_core.c) */

/* Guard words around each block of the library's fault-critical RAM state
 * (the core's, the dump writer's): a stack overflow or buffer overrun that
 * reaches such a block from either side overwrites a guard first. */
#define CD_GUARD_LO 0x47445243u /* "CRDG" */
#define CD_GUARD_HI 0xB8BBADBCu /* ~CD_GUARD_LO */

/* Any, fault. 0 if the core's state was overwritten (a guard word changed),
 * else 1 (before cd_init() too). */
int cd_core_intact(void);

/* The configuration cd_init() accepted: a copy whose component_name and
 * self_label point to internal copies. NULL before a successful cd_init().
 * For the dump writer (callbacks, user pointer, name). */
const cd_config_t *cd_core_config(void);

/* ---- crash dumps (cd_dump.c) */

/* Most dump slots a configuration may ask for (a RAM table of one byte per
 * slot). Default 8. */
#ifndef CD_DUMP_SLOTS_MAX
#define CD_DUMP_SLOTS_MAX 8u
#endif

/* Smallest slot accepted by cd_init(): header, registers, fault registers and a
 * little stack. */
#define CD_DUMP_SLOT_MIN 1024u

/* Thread, from cd_init() before anything is written. Checks the dump fields of
 * cfg (dump_slots 0 -> 2, 2..CD_DUMP_SLOTS_MAX) against the port's flash
 * geometry: write_size 1/2/4/8, erase_size a multiple of it, size a multiple of
 * erase_size, slot size (size / slots rounded down to erase_size) at least
 * CD_DUMP_SLOT_MIN. CD_OK or CD_E_CONFIG. */
int cd_dump_config_check(const cd_config_t *cfg);

/* Thread, at the end of a successful cd_init(): scans the slots, erases torn
 * ones, checks the crash record, applies the slot policy (see cd_dump.c). */
void cd_dump_boot(const cd_config_t *cfg);

/* Any. 1 while the crash path runs (cd_triage_add() then accepts ranges outside
 * the memory map, to be recorded as unreadable). */
int cd_dump_crashing(void);

/* Thread (protocol). Fills *st with the partition, the crash record and the
 * dropped count. CD_OK, or CD_E_STATE before cd_init(). */
int cd_dump_status(cd_wire_dump_status_t *st);

/* Thread (protocol). Slot i's state and header summary. CD_E_INVAL if i is out
 * of range, CD_E_STATE before cd_init(). */
int cd_dump_slot_info(uint32_t i, cd_wire_slot_t *out);

/* Thread (protocol). Copies up to len bytes of slot `slot` from `offset`: a
 * VALID slot up to its total_len, an INVALID one up to the slot size (for
 * forensics). Returns the number of bytes copied (0 at the end), CD_E_INVAL
 * (slot out of range, offset past the end), CD_E_NO_DUMP (EMPTY slot), CD_E_IO. */
int cd_dump_read(uint32_t slot, uint32_t offset, void *buf, uint32_t len);

/* Thread (protocol). Erases slot `slot`. Without CD_ERASE_F_FORCE the slot must
 * be VALID with this body_crc (CD_E_STATE otherwise; CD_E_NO_DUMP if EMPTY);
 * with it, any slot is erased. CD_OK, CD_E_INVAL, CD_E_IO. */
int cd_dump_erase(uint32_t slot, uint32_t flags, uint32_t body_crc);

/* Tests: the library's .noinit crash area (record + dropped count), so a test
 * can save, restore or wipe it as a power cycle would. */
void *cd_dump_noinit_area(size_t *len);

#endif /* CD_INTERNAL_H */
