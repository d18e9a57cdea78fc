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

/* Fills *info for the INFO command (everything but the rx counters). */
void cd_core_info(cd_wire_info_t *info);

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
 * count * stride <= slot_bytes_max), cursors (idx < count, tail not ahead of
 * head, idx == head % count when count is a power of two) and the length
 * field of every slot still held. Reads only header bytes and slots within
 * slot_bytes_max. Returns CD_OK or CD_E_CORRUPT. */
int cd_ring_check(const cd_ring_t *r, size_t slot_bytes_max);

/* ---- core (cd_core.c) */

/* The configuration cd_init() accepted: a copy whose component_name and
 * self_label point to internal copies. NULL before a successful cd_init().
 * For the dump writer (callbacks, user pointer, name). */
const cd_config_t *cd_core_config(void);

#endif /* CD_INTERNAL_H */
