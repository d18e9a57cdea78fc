/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: cd_init() over arbitrary .noinit contents (the storage
 * block and the crash area), as a warm reset after a stray write or a power-up
 * with garbage RAM would leave them.
 *
 * Input: byte 0 selects which CRCs the harness re-seals after copying the rest
 * in (so the fuzzer reaches the adoption code behind them instead of stopping
 * at a CRC it cannot guess): bit 0 the store header (magic, version, layout
 * as this configuration's), bit 1 the self ring's fixed header (this
 * configuration's, cursors and slots kept from the input), bit 2 each source
 * slot's ring header CRC (magic and version set, geometry kept), bit 3 the
 * crash record. Then the storage bytes, then the crash-area bytes; missing
 * bytes are zero.
 *
 * Oracles (each a crash with a message, so libFuzzer reports it):
 *  - cd_init() returns CD_OK (the configuration is valid);
 *  - nothing outside the storage block is written (guard bytes);
 *  - every ring adopted (self, each source in use) passes cd_ring_check() and
 *    the documented invariants (geometry, idx < count, idx == head % count for
 *    power-of-two counts);
 *  - a second cd_init() (another warm reset) changes no ring byte;
 *  - on every ring, a write then peek and a read-out return what was written,
 *    with consecutive sequence numbers, no corrupt item and at most count items.
 *
 * Links with: firmware/src/{cd_core,cd_crc,cd_dump,cd_frame,cd_proto,cd_ring,
 * cd_status}.c and tests/unit/fake_port.c; include paths firmware/include,
 * firmware/src, tests/unit, tests/unit/host_arch.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_internal.h"
#include "crashdump/crashdump.h"
#include "fake_port.h"

#define SELF_ITEM 12u
#define SELF_COUNT 6u /* not a power of two: idx is not tied to head */
#define SRC_COUNT 3u
#define SRC_MAX 160u
#define TRIAGE 2u
#define STORE_SIZE CD_STORAGE_SIZE(SELF_ITEM, SELF_COUNT, SRC_COUNT, SRC_MAX, TRIAGE)
#define GUARD 64u
#define GUARD_BYTE 0xC5u

static uint64_t mem[(GUARD + STORE_SIZE + GUARD) / 8u + 1u];
static uint8_t *const store = (uint8_t *)mem + GUARD;
static uint8_t template_hdr[CD_STORE_HDR_SIZE];
static cd_ring_hdr_t template_self;
static size_t self_off, src_off, src_stride;
static uint8_t before[STORE_SIZE];

static const cd_guid_t self_guid = {{0x5e, 0x1f, 0xf0, 0x22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};

#define FAIL(...)                                                   \
    do {                                                            \
        fprintf(stderr, "fuzz_init: " __VA_ARGS__);                 \
        fprintf(stderr, "\n");                                      \
        abort();                                                    \
    } while (0)

static cd_config_t cfg(void)
{
    cd_config_t c;
    memset(&c, 0, sizeof c);
    c.component_name = "fuzz-init";
    c.self_guid = self_guid;
    c.self_item_size = SELF_ITEM;
    c.self_item_count = SELF_COUNT;
    c.source_count = SRC_COUNT;
    c.source_max_bytes = SRC_MAX;
    c.triage_count = TRIAGE;
    c.storage = store;
    c.storage_size = STORE_SIZE;
    return c;
}

static void once(void)
{
    static int done;
    if (done) {
        return;
    }
    done = 1;
    fake_flash_setup(4096, 1024, 4);
    memset(store, 0, STORE_SIZE);
    cd_config_t c = cfg();
    if (cd_init(&c) != CD_OK) {
        FAIL("template init failed");
    }
    memcpy(template_hdr, store, sizeof template_hdr);
    self_off = (size_t)((uint8_t *)cd_self_ring() - store);
    template_self = cd_self_ring()->hdr;
    src_off = self_off + sizeof(cd_ring_hdr_t) + SELF_COUNT * CD_RING_STRIDE(SELF_ITEM);
    src_stride = sizeof(cd_ring_hdr_t) + SRC_MAX;
}

static void check_ring(cd_ring_t *r, size_t max, const char *what)
{
    const cd_ring_hdr_t *h = &r->hdr;
    if (cd_ring_check(r, max) != CD_OK) {
        FAIL("%s adopted but fails cd_ring_check", what);
    }
    if (h->item_size == 0 || h->item_size > CD_ITEM_MAX || h->stride != CD_RING_STRIDE(h->item_size) ||
        h->count == 0 || (size_t)h->count * h->stride > max || h->idx >= h->count) {
        FAIL("%s: geometry or idx out of bounds", what);
    }
    if ((h->count & (h->count - 1u)) == 0 && h->idx != (h->head & (h->count - 1u))) {
        FAIL("%s: idx != head %% count", what);
    }
}

/* Write one item, peek it back, then read the ring empty. */
static void exercise(cd_ring_t *r, const char *what)
{
    uint8_t item[CD_ITEM_MAX], got[CD_ITEM_MAX];
    size_t len = 1u + (r->hdr.head % r->hdr.item_size);
    for (size_t i = 0; i < len; i++) {
        item[i] = (uint8_t)(0xA0u + i);
    }
    cd_ring_stat_t st0, st1;
    cd_ring_stat(r, &st0);
    uint32_t seq = 0;
    if (cd_ring_write(r, item, len, &seq) != CD_OK || seq != st0.head_seq) {
        FAIL("%s: write failed or wrong seq", what);
    }
    cd_ring_stat(r, &st1);
    if (st1.head_seq != seq + 1u || st1.head_seq - st1.oldest_seq > r->hdr.count ||
        st1.head_seq == st1.oldest_seq) {
        FAIL("%s: stat after write inconsistent", what);
    }
    if (cd_ring_peek(r, seq, got, sizeof got) != (int)len || memcmp(got, item, len) != 0) {
        FAIL("%s: peek does not return the item written", what);
    }
    uint32_t expect = st1.oldest_seq, n = 0;
    for (;;) {
        uint32_t s = 0, lost = 0;
        int rc = cd_ring_read(r, got, sizeof got, &s, &lost);
        if (rc == CD_E_EMPTY) {
            break;
        }
        if (rc <= 0) {
            FAIL("%s: read returned %d on an adopted ring", what, rc);
        }
        if (s != expect || (n != 0 && lost != 0)) {
            FAIL("%s: read seq %u, expected %u (lost %u)", what, s, expect, lost);
        }
        if (++n > r->hdr.count) {
            FAIL("%s: more items read than the ring holds", what);
        }
        expect = s + 1u;
        if (s == seq && (rc != (int)len || memcmp(got, item, len) != 0)) {
            FAIL("%s: read does not return the item written", what);
        }
    }
    if (expect != seq + 1u) {
        FAIL("%s: the item written was not the last read", what);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    once();
    uint8_t flags = size > 0 ? data[0] : 0;
    data += size > 0;
    size -= size > 0;

    memset(mem, GUARD_BYTE, sizeof mem);
    memset(store, 0, STORE_SIZE);
    size_t n = size < STORE_SIZE ? size : STORE_SIZE;
    memcpy(store, data, n);
    data += n;
    size -= n;
    size_t area_len;
    uint8_t *area = cd_dump_noinit_area(&area_len);
    memset(area, 0, area_len);
    memcpy(area, data, size < area_len ? size : area_len);

    if (flags & 1u) {
        memcpy(store, template_hdr, 12); /* magic, version, hdr_size, layout_crc */
        uint32_t crc = cd_crc32(0, store, 28);
        memcpy(store + 28, &crc, 4);
    }
    if (flags & 2u) {
        memcpy(store + self_off, &template_self, offsetof(cd_ring_hdr_t, head));
    }
    for (uint32_t i = 0; (flags & 4u) && i < SRC_COUNT; i++) {
        cd_ring_hdr_t *h = (cd_ring_hdr_t *)(void *)(store + src_off + i * src_stride);
        h->magic = CD_RING_MAGIC;
        h->version = CD_RING_VERSION;
        h->hdr_crc = cd_crc32(0, h, CD_RING_HDR_CRC_LEN);
    }
    if (flags & 8u) {
        cd_crash_record_t *rec = (cd_crash_record_t *)(void *)area;
        rec->magic = CD_CRASH_MAGIC;
        rec->crc = cd_crc32(0, rec, offsetof(cd_crash_record_t, crc));
    }

    cd_config_t c = cfg();
    if (cd_init(&c) != CD_OK) {
        FAIL("cd_init rejected a valid configuration");
    }
    for (size_t i = 0; i < GUARD; i++) {
        if (((uint8_t *)mem)[i] != GUARD_BYTE || store[STORE_SIZE + i] != GUARD_BYTE) {
            FAIL("write outside the storage block");
        }
    }

    cd_ring_t *self = cd_self_ring();
    check_ring(self, SELF_COUNT * CD_RING_STRIDE(SELF_ITEM), "self ring");
    uint32_t total = 0;
    (void)cd_source_at(0, &total);
    for (uint32_t i = 0; i < total; i++) {
        check_ring(cd_source_at(i, NULL), SRC_MAX, "source");
    }

    /* A second warm reset adopts the same rings unchanged. */
    size_t rings = self_off;
    memcpy(before, store, STORE_SIZE);
    if (cd_init(&c) != CD_OK || memcmp(before + rings, store + rings, STORE_SIZE - rings) != 0) {
        FAIL("second warm reset changed the rings");
    }

    exercise(self, "self ring");
    for (uint32_t i = 0; i < total; i++) {
        exercise(cd_source_at(i, NULL), "source");
    }
    cd_wire_dump_status_t st;
    if (cd_dump_status(&st) != CD_OK) {
        FAIL("dump status after init");
    }
    return 0;
}
