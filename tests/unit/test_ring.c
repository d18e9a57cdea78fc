/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rings on their own (cd_ring.c), plus the CRC, byte-copy, division and
 * status-name helpers:
 * FIFO order and sequence numbers, overwrite and lost counting, peek/capture,
 * partial items, every ring error code, the 2^32 sequence wrap, the boot-time
 * ring check, and the byte layout documented in cd_format.h.
 */
#include <stdint.h>
#include <string.h>

#include "cd_internal.h"
#include "unit.h"

static const cd_guid_t guid_a = {{0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, 1, 2, 3, 4, 5, 6, 7, 8}};

/* Backing store for test rings; uint64_t for alignment. */
static uint64_t ring_mem[2048];

static cd_ring_t *ring_new(uint16_t item_size, uint32_t count)
{
    memset(ring_mem, 0xEE, sizeof ring_mem); /* init must clear the slots */
    cd_ring_init((cd_ring_t *)ring_mem, &guid_a, "test", item_size, count);
    return (cd_ring_t *)ring_mem;
}

static uint8_t *slot_at(cd_ring_t *r, uint32_t i)
{
    return (uint8_t *)(r + 1) + (size_t)i * r->hdr.stride;
}

/* Item of `len` bytes derived from `tag`, so any mix-up shows. */
static void fill(uint8_t *p, size_t len, uint32_t tag)
{
    for (size_t i = 0; i < len; i++) {
        p[i] = (uint8_t)(tag * 31u + i * 7u + 1u);
    }
}

static int write_tag(cd_ring_t *r, size_t len, uint32_t tag, uint32_t *seq)
{
    uint8_t buf[CD_ITEM_MAX];
    fill(buf, len, tag);
    return cd_ring_write(r, buf, len, seq);
}

/* Reads one item and checks it is `tag` of `len` bytes with sequence `seq`
 * and `lost` items skipped before it. */
static void expect_read(cd_ring_t *r, size_t len, uint32_t tag, uint32_t seq, uint32_t lost)
{
    uint8_t got[CD_ITEM_MAX], want[CD_ITEM_MAX];
    uint32_t s = 0xdeadbeefu, l = 0xdeadbeefu;
    fill(want, len, tag);
    CHECK_EQ(cd_ring_read(r, got, sizeof got, &s, &l), (long long)len);
    CHECK_EQ(s, seq);
    CHECK_EQ(l, lost);
    CHECK_MEM(got, want, len);
}

TEST(crc_matches_zlib_and_chains)
{
    CHECK_EQ(cd_crc32(0, "123456789", 9), 0xCBF43926u);
    CHECK_EQ(cd_crc32(0, "", 0), 0);
    CHECK_EQ(cd_crc32(0, "The quick brown fox jumps over the lazy dog", 43), 0x414FA339u);
    CHECK_EQ(cd_crc32(cd_crc32(0, "12345", 5), "6789", 4), 0xCBF43926u);
}

/* The library's own memcpy/memmove/memset/memcmp (cd_crc.c), against libc's,
 * at every alignment and length around the word size. */
TEST(byte_helpers_match_libc)
{
    uint8_t src[64], a[80], b[80];
    for (size_t i = 0; i < sizeof src; i++) {
        src[i] = (uint8_t)(i * 37u + 5u);
    }
    for (size_t doff = 0; doff < 4; doff++) {
        for (size_t soff = 0; soff < 4; soff++) {
            for (size_t len = 0; len <= 40; len++) {
                memset(a, 0xA5, sizeof a);
                memset(b, 0xA5, sizeof b);
                cd_copy(a + 8 + doff, src + soff, len);
                memcpy(b + 8 + doff, src + soff, len);
                CHECK_MEM(a, b, sizeof a);
                CHECK(cd_equal(a, b, sizeof a));
                cd_zero(a + 8 + doff, len);
                memset(b + 8 + doff, 0, len);
                CHECK_MEM(a, b, sizeof a);
                /* a move to a lower address may overlap */
                for (size_t i = 0; i < sizeof a; i++) {
                    a[i] = b[i] = (uint8_t)(i * 11u);
                }
                cd_copy(a + doff, a + doff + soff + 1u, len);
                memmove(b + doff, b + doff + soff + 1u, len);
                CHECK_MEM(a, b, sizeof a);
            }
        }
    }
    CHECK(cd_equal(src, src, 0));
    memcpy(a, src, 16);
    for (size_t i = 0; i < 16; i++) {
        a[i] ^= 0x40u;
        CHECK(!cd_equal(a, src, 16));
        a[i] ^= 0x40u;
    }
    CHECK(cd_equal(a, src, 16));
}

/* The shift-and-subtract division Cortex-M0 builds use, against '/'. */
TEST(software_division_matches_the_operator)
{
    static const uint32_t v[] = {0u, 1u, 2u, 3u, 4u, 7u, 8u, 31u, 32u, 255u, 256u, 1000u, 4096u,
                                 65535u, 65536u, 0x12345678u, 0x7FFFFFFFu, 0x80000000u,
                                 0x80000001u, 0xFFFFFFFEu, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        for (size_t j = 0; j < sizeof v / sizeof v[0]; j++) {
            if (v[j] != 0) {
                CHECK_EQ(cd_udiv_shift(v[i], v[j]), v[i] / v[j]);
                CHECK_EQ(cd_udiv(v[i], v[j]), v[i] / v[j]);
            }
        }
    }
    uint32_t x = 0x9E3779B9u;
    for (int k = 0; k < 10000; k++) {
        x = x * 1664525u + 1013904223u;
        uint32_t n = x;
        x = x * 1664525u + 1013904223u;
        uint32_t d = (x >> (x & 31u)) | 1u;
        CHECK_EQ(cd_udiv_shift(n, d), n / d);
    }
}

TEST(status_strings_from_the_table)
{
    CHECK(strcmp(cd_status_str(CD_OK), "ok") == 0);
    CHECK(strcmp(cd_status_str(CD_E_INVAL), "invalid argument") == 0);
    CHECK(strcmp(cd_status_str(CD_E_EMPTY), "ring is empty") == 0);
    CHECK(strcmp(cd_status_str(-21), "unknown status") == 0);
    CHECK(strcmp(cd_status_str(1), "unknown status") == 0);
}

TEST(init_builds_the_documented_header)
{
    cd_ring_t *r = ring_new(10, 5);
    CHECK_EQ(r->hdr.magic, CD_RING_MAGIC);
    CHECK_EQ(r->hdr.version, CD_RING_VERSION);
    CHECK_EQ(r->hdr.item_size, 10);
    CHECK_EQ(r->hdr.count, 5);
    CHECK_EQ(r->hdr.stride, 16); /* 4 + 10 rounded up to 12 */
    CHECK_MEM(&r->hdr.guid, &guid_a, sizeof guid_a);
    CHECK_MEM(r->hdr.label, "test\0\0\0\0\0\0\0\0\0\0\0\0", CD_LABEL_LEN);
    CHECK_EQ(r->hdr.hdr_crc, cd_crc32(0, r, CD_RING_HDR_CRC_LEN));
    CHECK_EQ(r->hdr.head, 0);
    CHECK_EQ(r->hdr.tail, 0);
    CHECK_EQ(r->hdr.lost, 0);
    CHECK_EQ(r->hdr.idx, 0);
    for (size_t i = 0; i < 5u * 16u; i++) {
        CHECK_EQ(((uint8_t *)(r + 1))[i], 0);
    }
    CHECK_EQ(((uint8_t *)(r + 1))[5u * 16u], 0xEE); /* nothing past the ring */
    CHECK_EQ(cd_ring_check(r, 5u * 16u), CD_OK);
    CHECK(cd_ring_guid(r) == &r->hdr.guid);
    CHECK(cd_ring_label(r) == r->hdr.label);

    cd_ring_init(r, &guid_a, "0123456789abcdefXYZ", 4, 1); /* label truncated, no NUL */
    CHECK_MEM(r->hdr.label, "0123456789abcdef", CD_LABEL_LEN);
    cd_ring_init(r, &guid_a, NULL, 4, 1);
    CHECK_MEM(r->hdr.label, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", CD_LABEL_LEN);
}

TEST(fifo_order_and_sequence_numbers)
{
    cd_ring_t *r = ring_new(16, 4);
    uint32_t seq = 99;
    CHECK_EQ(write_tag(r, 16, 100, &seq), CD_OK);
    CHECK_EQ(seq, 0);
    CHECK_EQ(write_tag(r, 16, 101, &seq), CD_OK);
    CHECK_EQ(seq, 1);
    CHECK_EQ(write_tag(r, 16, 102, NULL), CD_OK);
    expect_read(r, 16, 100, 0, 0);
    expect_read(r, 16, 101, 1, 0);
    CHECK_EQ(write_tag(r, 16, 103, &seq), CD_OK);
    CHECK_EQ(seq, 3);
    expect_read(r, 16, 102, 2, 0);
    expect_read(r, 16, 103, 3, 0);
    uint8_t buf[16];
    uint32_t s = 7, l = 7;
    CHECK_EQ(cd_ring_read(r, buf, sizeof buf, &s, &l), CD_E_EMPTY);
    CHECK_EQ(s, 7); /* untouched on failure */
    CHECK_EQ(l, 7);
}

TEST(slot_layout_matches_cd_format)
{
    cd_ring_t *r = ring_new(6, 3); /* stride 12 */
    CHECK_EQ(write_tag(r, 6, 1, NULL), CD_OK);
    CHECK_EQ(write_tag(r, 3, 2, NULL), CD_OK);
    uint8_t want[6];
    fill(want, 6, 1);
    CHECK_MEM(slot_at(r, 0), "\x06\x00\x00\x00", 4); /* u16 len, u16 reserved 0 */
    CHECK_MEM(slot_at(r, 0) + 4, want, 6);
    fill(want, 3, 2);
    CHECK_MEM(slot_at(r, 1), "\x03\x00\x00\x00", 4);
    CHECK_MEM(slot_at(r, 1) + 4, want, 3);
    CHECK_EQ(r->hdr.idx, 2);
    CHECK_EQ(r->hdr.head, 2);
    CHECK_EQ(write_tag(r, 1, 3, NULL), CD_OK);
    CHECK_EQ(r->hdr.idx, 0); /* wrapped */
    CHECK_EQ(write_tag(r, 2, 4, NULL), CD_OK);
    fill(want, 2, 4);
    CHECK_MEM(slot_at(r, 0), "\x02\x00\x00\x00", 4); /* seq 3 overwrote slot 0 */
    CHECK_MEM(slot_at(r, 0) + 4, want, 2);
}

TEST(partial_items_keep_their_length)
{
    cd_ring_t *r = ring_new(16, 8);
    static const size_t lens[] = {1, 2, 3, 4, 5, 15, 16};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        CHECK_EQ(write_tag(r, lens[i], (uint32_t)i, NULL), CD_OK);
    }
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        expect_read(r, lens[i], (uint32_t)i, (uint32_t)i, 0);
    }
}

TEST(every_length_and_source_alignment)
{
    cd_ring_t *r = ring_new(CD_ITEM_MAX, 2);
    static uint8_t src[CD_ITEM_MAX + 8];
    uint8_t got[CD_ITEM_MAX];
    for (size_t align = 0; align < 4; align++) {
        for (size_t len = 1; len <= CD_ITEM_MAX; len++) {
            fill(src + align, len, (uint32_t)(len + align));
            CHECK_EQ(cd_ring_write(r, src + align, len, NULL), CD_OK);
            CHECK_EQ(cd_ring_read(r, got, sizeof got, NULL, NULL), (long long)len);
            CHECK_MEM(got, src + align, len);
        }
    }
}

TEST(overwrite_counts_lost_items)
{
    cd_ring_t *r = ring_new(8, 4);
    for (uint32_t i = 0; i < 10; i++) {
        CHECK_EQ(write_tag(r, 8, i, NULL), CD_OK);
    }
    cd_ring_stat_t st;
    cd_ring_stat(r, &st);
    CHECK_EQ(st.head_seq, 10);
    CHECK_EQ(st.oldest_seq, 6);
    CHECK_EQ(st.lost, 6);
    CHECK_EQ(st.count, 4);
    CHECK_EQ(st.item_size, 8);

    expect_read(r, 8, 6, 6, 6); /* the read reports what it skipped */
    expect_read(r, 8, 7, 7, 0);
    cd_ring_stat(r, &st);
    CHECK_EQ(st.lost, 6); /* folded in, not counted twice */
    CHECK_EQ(st.oldest_seq, 8);

    for (uint32_t i = 10; i < 15; i++) { /* 8, 9 unread: 8, 9, 10 get overwritten */
        CHECK_EQ(write_tag(r, 8, i, NULL), CD_OK);
    }
    cd_ring_stat(r, &st);
    CHECK_EQ(st.oldest_seq, 11);
    CHECK_EQ(st.lost, 9);
    expect_read(r, 8, 11, 11, 3);
    expect_read(r, 8, 12, 12, 0);
    expect_read(r, 8, 13, 13, 0);
    expect_read(r, 8, 14, 14, 0);
    CHECK_EQ(cd_ring_read(r, NULL, 0, NULL, NULL), CD_E_EMPTY);
    cd_ring_stat(r, &st);
    CHECK_EQ(st.lost, 9);
    CHECK_EQ(st.oldest_seq, 15);
    CHECK_EQ(st.head_seq, 15);
}

TEST(peek_does_not_consume)
{
    cd_ring_t *r = ring_new(12, 4);
    for (uint32_t i = 0; i < 6; i++) {
        CHECK_EQ(write_tag(r, 4 + i, i, NULL), CD_OK);
    }
    cd_ring_stat_t before, after;
    cd_ring_stat(r, &before);
    uint8_t got[12], want[12];
    /* Capture: oldest .. head - 1, oldest first. */
    for (uint32_t s = before.oldest_seq; s != before.head_seq; s++) {
        fill(want, 4 + s, s);
        CHECK_EQ(cd_ring_peek(r, s, got, sizeof got), (long long)(4 + s));
        CHECK_MEM(got, want, 4 + s);
    }
    CHECK_EQ(before.oldest_seq, 2);
    CHECK_EQ(cd_ring_peek(r, 1, got, sizeof got), CD_E_NOT_FOUND); /* overwritten */
    CHECK_EQ(cd_ring_peek(r, 6, got, sizeof got), CD_E_NOT_FOUND); /* not yet written */
    CHECK_EQ(cd_ring_peek(r, 0xFFFFFFFFu, got, sizeof got), CD_E_NOT_FOUND);
    cd_ring_stat(r, &after);
    CHECK_MEM(&before, &after, sizeof before);
    expect_read(r, 6, 2, 2, 2); /* still there for the reader */
    CHECK_EQ(cd_ring_peek(r, 2, got, sizeof got), CD_E_NOT_FOUND); /* read is gone */
    CHECK_EQ(cd_ring_peek(r, 3, got, sizeof got), 7);
}

TEST(ring_error_codes)
{
    cd_ring_t *r = ring_new(8, 2);
    uint8_t data[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    uint32_t seq = 5;
    CHECK_EQ(write_tag(r, 8, 1, NULL), CD_OK);
    static uint64_t snapshot[64];
    memcpy(snapshot, ring_mem, sizeof snapshot);

    CHECK_EQ(cd_ring_write(NULL, data, 4, &seq), CD_E_INVAL);
    CHECK_EQ(cd_ring_write(r, NULL, 4, &seq), CD_E_INVAL);
    CHECK_EQ(cd_ring_write(r, data, 0, &seq), CD_E_INVAL);
    CHECK_EQ(cd_ring_write(r, data, 9, &seq), CD_E_ITEM_TOO_LARGE);
    CHECK_EQ(cd_ring_write(r, data, (size_t)-1, &seq), CD_E_ITEM_TOO_LARGE);
    CHECK_EQ(seq, 5);
    CHECK_MEM(snapshot, ring_mem, sizeof snapshot); /* failed writes change nothing */

    uint8_t buf[8];
    CHECK_EQ(cd_ring_read(NULL, buf, sizeof buf, NULL, NULL), CD_E_INVAL);
    CHECK_EQ(cd_ring_read(r, NULL, 8, NULL, NULL), CD_E_INVAL);
    CHECK_EQ(cd_ring_read(r, buf, 7, &seq, NULL), CD_E_NOSPACE); /* item stays */
    CHECK_EQ(cd_ring_read(r, NULL, 0, &seq, NULL), CD_E_NOSPACE);
    CHECK_EQ(seq, 5);
    CHECK_MEM(snapshot, ring_mem, sizeof snapshot);
    CHECK_EQ(cd_ring_peek(NULL, 0, buf, sizeof buf), CD_E_INVAL);
    CHECK_EQ(cd_ring_peek(r, 0, NULL, 8), CD_E_INVAL);
    CHECK_EQ(cd_ring_peek(r, 0, buf, 7), CD_E_NOSPACE);
    CHECK_EQ(cd_ring_peek(r, 1, buf, 8), CD_E_NOT_FOUND);
    expect_read(r, 8, 1, 0, 0);
    CHECK_EQ(cd_ring_read(r, buf, sizeof buf, NULL, NULL), CD_E_EMPTY);
    CHECK_EQ(cd_ring_peek(r, 0, buf, sizeof buf), CD_E_NOT_FOUND);

    cd_ring_stat_t st;
    memset(&st, 0xFF, sizeof st);
    cd_ring_stat(NULL, &st);
    CHECK_EQ(st.count, 0);
    CHECK_EQ(st.head_seq, 0);
    cd_ring_stat(r, NULL); /* no crash */
    CHECK(cd_ring_guid(NULL) == NULL);
    CHECK(cd_ring_label(NULL) == NULL);
}

TEST(corrupt_slot_length_is_reported_and_skipped)
{
    cd_ring_t *r = ring_new(8, 4);
    for (uint32_t i = 0; i < 3; i++) {
        CHECK_EQ(write_tag(r, 8, i, NULL), CD_OK);
    }
    slot_at(r, 0)[0] = 0; /* len 0 */
    slot_at(r, 1)[0] = 9; /* len > item_size */
    uint8_t buf[8];
    uint32_t seq = 0, lost = 0;
    CHECK_EQ(cd_ring_peek(r, 0, buf, sizeof buf), CD_E_CORRUPT);
    CHECK_EQ(cd_ring_peek(r, 1, buf, sizeof buf), CD_E_CORRUPT);
    CHECK_EQ(cd_ring_read(r, buf, sizeof buf, &seq, &lost), CD_E_CORRUPT);
    CHECK_EQ(seq, 0);
    CHECK_EQ(cd_ring_read(r, buf, sizeof buf, &seq, &lost), CD_E_CORRUPT);
    CHECK_EQ(seq, 1);
    expect_read(r, 8, 2, 2, 0); /* the reader is not wedged */
}

/* A ring whose head sits just below 2^32, as after 4 billion writes. */
static cd_ring_t *ring_near_wrap(uint32_t count, uint32_t head)
{
    cd_ring_t *r = ring_new(8, count);
    r->hdr.head = head;
    r->hdr.tail = head;
    r->hdr.idx = head % count;
    return r;
}

TEST(sequence_numbers_wrap_at_2_32)
{
    cd_ring_t *r = ring_near_wrap(4, 0xFFFFFFFEu);
    uint32_t seq;
    static const uint32_t want[] = {0xFFFFFFFEu, 0xFFFFFFFFu, 0, 1, 2};
    for (uint32_t i = 0; i < 5; i++) {
        CHECK_EQ(write_tag(r, 8, i, &seq), CD_OK);
        CHECK_EQ(seq, want[i]);
    }
    cd_ring_stat_t st;
    cd_ring_stat(r, &st);
    CHECK_EQ(st.head_seq, 3);
    CHECK_EQ(st.oldest_seq, 0xFFFFFFFFu);
    CHECK_EQ(st.lost, 1);
    uint8_t buf[8], tag1[8];
    fill(tag1, 8, 1);
    CHECK_EQ(cd_ring_peek(r, 0xFFFFFFFFu, buf, sizeof buf), 8);
    CHECK_MEM(buf, tag1, 8);
    CHECK_EQ(cd_ring_peek(r, 0xFFFFFFFEu, buf, sizeof buf), CD_E_NOT_FOUND);
    CHECK_EQ(cd_ring_check(r, 4u * r->hdr.stride), CD_OK);
    expect_read(r, 8, 1, 0xFFFFFFFFu, 1);
    expect_read(r, 8, 2, 0, 0);
    expect_read(r, 8, 3, 1, 0);
    expect_read(r, 8, 4, 2, 0);
    CHECK_EQ(cd_ring_read(r, buf, sizeof buf, NULL, NULL), CD_E_EMPTY);

    /* count 3 does not divide 2^32: idx != head % 3 after the wrap, and the
     * ring must still be adopted at boot. */
    r = ring_near_wrap(3, 0xFFFFFFFFu);
    for (uint32_t i = 0; i < 4; i++) {
        CHECK_EQ(write_tag(r, 8, i, NULL), CD_OK);
    }
    CHECK(r->hdr.idx != r->hdr.head % 3u);
    CHECK_EQ(cd_ring_check(r, 3u * r->hdr.stride), CD_OK);
    expect_read(r, 8, 1, 0, 1);
}

/* Rewrites the CRC after a deliberate change to a covered field, so the
 * geometry checks themselves are exercised. */
static void recrc(cd_ring_t *r)
{
    r->hdr.hdr_crc = cd_crc32(0, r, CD_RING_HDR_CRC_LEN);
}

TEST(boot_check_rejects_each_bad_field)
{
    const size_t cap = 4u * 12u; /* item 8 -> stride 12 */
#define FRESH()                                   \
    do {                                          \
        r = ring_new(8, 4);                       \
        for (uint32_t i = 0; i < 6; i++) {        \
            CHECK_EQ(write_tag(r, 8, i, NULL), 0); \
        }                                         \
        expect_read(r, 8, 2, 2, 2);               \
    } while (0)
    cd_ring_t *r;
    FRESH();
    CHECK_EQ(cd_ring_check(r, cap), CD_OK);
    CHECK_EQ(cd_ring_check(r, cap - 1), CD_E_CORRUPT); /* ring larger than its space */

    FRESH(); r->hdr.magic ^= 1;                 CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.version = 2;                CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.item_size = 7;              CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.count = 3;                  CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.stride = 16;                CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.guid.b[15] ^= 0x80;         CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.label[3] = 'X';             CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.hdr_crc ^= 0x100;           CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    /* Covered fields changed with a matching CRC: geometry checks. */
    FRESH(); r->hdr.stride = 16; recrc(r);      CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.count = 5; recrc(r);        CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.count = 0; recrc(r);        CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.item_size = 0; recrc(r);    CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH();
    r->hdr.item_size = CD_ITEM_MAX + 4;
    r->hdr.stride = CD_RING_STRIDE(CD_ITEM_MAX + 4);
    r->hdr.count = 1;
    recrc(r);
    CHECK_EQ(cd_ring_check(r, 1u << 20), CD_E_CORRUPT);
    FRESH(); memset(&r->hdr.guid, 0, sizeof r->hdr.guid); recrc(r);
    CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    /* Cursors. */
    FRESH(); r->hdr.idx = 4;                    CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); r->hdr.idx = 3;                    CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    /* Any tail is a possible lag (mod 2^32): not a corruption. */
    FRESH(); r->hdr.tail = r->hdr.head + 1;     CHECK_EQ(cd_ring_check(r, cap), CD_OK);
    FRESH(); r->hdr.tail = r->hdr.head - 0x80000001u; CHECK_EQ(cd_ring_check(r, cap), CD_OK);
    FRESH(); r->hdr.head -= 1;                  CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    /* Held slots (seq 3..5 in slots 3, 0, 1); slot 2 holds read item 2. */
    FRESH(); slot_at(r, 0)[0] = 0;              CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); slot_at(r, 3)[0] = 9;              CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); slot_at(r, 1)[2] = 1;              CHECK_EQ(cd_ring_check(r, cap), CD_E_CORRUPT);
    FRESH(); slot_at(r, 2)[0] = 0;              CHECK_EQ(cd_ring_check(r, cap), CD_OK);
    FRESH(); r->hdr.lost = 12345;               CHECK_EQ(cd_ring_check(r, cap), CD_OK);
#undef FRESH
}

int main(void)
{
    RUN(crc_matches_zlib_and_chains);
    RUN(byte_helpers_match_libc);
    RUN(software_division_matches_the_operator);
    RUN(status_strings_from_the_table);
    RUN(init_builds_the_documented_header);
    RUN(fifo_order_and_sequence_numbers);
    RUN(slot_layout_matches_cd_format);
    RUN(partial_items_keep_their_length);
    RUN(every_length_and_source_alignment);
    RUN(overwrite_counts_lost_items);
    RUN(peek_does_not_consume);
    RUN(ring_error_codes);
    RUN(corrupt_slot_length_is_reported_and_skipped);
    RUN(sequence_numbers_wrap_at_2_32);
    RUN(boot_check_rejects_each_bad_field);
    return UNIT_END();
}
