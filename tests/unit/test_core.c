/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The core (cd_core.c): configuration checks, the storage layout, warm-reset
 * adoption ring by ring, the boot counter, data sources, triage ranges, the
 * INFO record and the API before cd_init().
 */
#include <stdint.h>
#include <string.h>

#include "cd_internal.h"
#include "fake_port.h"
#include "unit.h"

#define SELF_ITEM 24u
#define SELF_COUNT 8u
#define SRC_COUNT 3u
#define SRC_MAX 256u /* bytes of slots per source */
#define TRIAGE 4u
#define STORE_SIZE CD_STORAGE_SIZE(SELF_ITEM, SELF_COUNT, SRC_COUNT, SRC_MAX, TRIAGE)
#define GUARD 64u

/* Storage plus a guard area that nothing may touch. uint64_t: 8-aligned. */
static uint64_t store_mem[(STORE_SIZE + GUARD + 7u) / 8u];
static uint8_t *const store = (uint8_t *)store_mem;
static uint8_t snap[sizeof store_mem];

static const cd_guid_t self_guid = {{0x5e, 0x1f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}};
static const cd_guid_t guid_a = {{0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
static const cd_guid_t guid_b = {{0xb0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
static const cd_guid_t guid_c = {{0xc0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
static const cd_guid_t guid_d = {{0xd0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
static const cd_guid_t zero_guid;

static size_t dummy_query(void *user)
{
    (void)user;
    return 0;
}

static void dummy_write(void *user, cd_writer_t *w)
{
    (void)user;
    (void)w;
}

static cd_config_t base_cfg(void)
{
    cd_config_t c;
    memset(&c, 0, sizeof c);
    c.component_name = "unit-core";
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

/* Memory map for triage: RAM, flash, a write-only window and the top of the
 * address space. Addresses are plain numbers; nothing is dereferenced. */
static const cd_mem_region_t test_map[] = {
    {0x20000000u, 0x10000u, CD_MEM_READ | CD_MEM_WRITE},
    {0x20010000u, 0x10000u, CD_MEM_READ | CD_MEM_WRITE}, /* adjacent, separate region */
    {0x08000000u, 0x40000u, CD_MEM_READ},
    {0x40000000u, 0x1000u, CD_MEM_WRITE},
    {UINTPTR_MAX - 0xFFu, 0x100u, CD_MEM_READ},
};
#define ADDR(a) ((const void *)(uintptr_t)(a))

/* Fresh storage (random-looking bytes, as after power-up) and a good init. */
static void fresh_init(void)
{
    for (size_t i = 0; i < sizeof store_mem; i++) {
        store[i] = (uint8_t)(i * 131u + 17u);
    }
    cd_config_t c = base_cfg();
    CHECK_EQ(cd_init(&c), CD_OK);
}

static int write_n(cd_ring_t *r, uint32_t n, uint32_t tag)
{
    uint8_t buf[CD_ITEM_MAX];
    int rc = CD_OK;
    for (uint32_t i = 0; i < n && rc == CD_OK; i++) {
        size_t len = 1u + (tag + i) % r->hdr.item_size;
        memset(buf, (int)(tag + i), len);
        rc = cd_ring_write(r, buf, len, NULL);
    }
    return rc;
}

static size_t ring_bytes(const cd_ring_t *r)
{
    return sizeof(cd_ring_hdr_t) + (size_t)r->hdr.count * r->hdr.stride;
}

/* ------------------------------------------------------------ before init */

TEST(api_before_init_fails_cleanly)
{
    uint8_t b[4] = {0};
    uint32_t total = 99;
    cd_ring_t *r = (cd_ring_t *)1;
    int re = 5;
    CHECK_EQ(cd_boot_count(), 0);
    CHECK(cd_self_ring() == NULL);
    CHECK_EQ(cd_self_write(b, sizeof b), CD_E_STATE);
    CHECK_EQ(cd_ring_write(cd_self_ring(), b, sizeof b, NULL), CD_E_INVAL);
    CHECK_EQ(cd_source_create(&guid_a, "a", 8, 4, &r, &re), CD_E_STATE);
    CHECK(r == NULL);
    CHECK_EQ(re, 0);
    CHECK(cd_source_find(&guid_a) == NULL);
    CHECK_EQ(cd_source_destroy(&guid_a), CD_E_STATE);
    CHECK(cd_source_at(0, &total) == NULL);
    CHECK_EQ(total, 0);
    CHECK_EQ(cd_triage_add(b, sizeof b), CD_E_STATE);
    CHECK_EQ(cd_triage_remove(b, sizeof b), CD_E_STATE);
    total = 99;
    CHECK(cd_triage_at(0, &total) == NULL);
    CHECK_EQ(total, 0);
    CHECK(cd_core_config() == NULL);
    cd_wire_info_t info;
    memset(&info, 0xFF, sizeof info);
    cd_core_info(&info);
    CHECK_EQ(info.proto_version, CD_PROTO_VERSION);
    CHECK_EQ(info.caps, 0);
    CHECK_EQ(info.source_max, 0);
    CHECK_EQ(info.boot_count, 0);
}

/* ------------------------------------------------------------ configuration */

/* cd_init(c) must return `want`, leave storage and guard bytes alone and
 * keep the library in the state it was in (uninitialised here). */
static void expect_reject(const cd_config_t *c, int want, int line)
{
    memcpy(snap, store, sizeof store_mem);
    int rc = cd_init(c);
    if (rc != want) {
        fprintf(stderr, "%s:%d: cd_init returned %d, want %d\n", __FILE__, line, rc, want);
        unit_failed_checks++;
    }
    CHECK_MEM(snap, store, sizeof store_mem);
    CHECK(cd_self_ring() == NULL);
    CHECK_EQ(cd_boot_count(), 0);
}
#define REJECT(c, want) expect_reject((c), (want), __LINE__)

TEST(init_rejects_each_bad_field_and_writes_nothing)
{
    memset(store_mem, 0xA5, sizeof store_mem);
    cd_config_t c;

    REJECT(NULL, CD_E_CONFIG);
    c = base_cfg(); c.component_name = NULL;            REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.component_name = "";              REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.component_name = "0123456789abcdef0123456789abcdef"; /* 32 */
    REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.self_guid = zero_guid;            REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.self_item_size = 0;               REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.self_item_size = CD_ITEM_MAX + 1; REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.self_item_count = 0;              REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.source_count = 65536;             REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.triage_count = 65536;             REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.source_max_bytes = SRC_MAX + 2;   REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.additional_query = dummy_query; c.additional_guid = guid_d;
    REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.additional_write = dummy_write; c.additional_guid = guid_d;
    REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.additional_query = dummy_query; c.additional_write = dummy_write;
    REJECT(&c, CD_E_CONFIG); /* zero additional_guid */
    c = base_cfg(); c.storage = NULL;                   REJECT(&c, CD_E_CONFIG);
    c = base_cfg(); c.storage = store + 4; c.storage_size = STORE_SIZE;
    REJECT(&c, CD_E_CONFIG); /* 4- but not 8-aligned */
    c = base_cfg(); c.storage_size = STORE_SIZE - 1;    REJECT(&c, CD_E_NOSPACE);
    c = base_cfg(); c.storage_size = 0;                 REJECT(&c, CD_E_NOSPACE);
    /* Geometry whose size cannot be represented. */
    c = base_cfg(); c.self_item_size = CD_ITEM_MAX; c.self_item_count = 0xFFFFFFFFu;
    REJECT(&c, CD_E_CONFIG);
    /* 65535 * (68 + 0xFFFFFFFC) overflows a 32-bit size_t; on a 64-bit host
     * it is merely far larger than the storage. */
    c = base_cfg(); c.source_count = 65535; c.source_max_bytes = 0xFFFFFFFCu;
    c.storage_size = sizeof store_mem;
    REJECT(&c, SIZE_MAX == UINT32_MAX ? CD_E_CONFIG : CD_E_NOSPACE);
}

TEST(init_accepts_the_limits)
{
    cd_config_t c = base_cfg();
    c.component_name = "0123456789abcdef0123456789abcde"; /* 31 chars */
    c.additional_query = dummy_query;
    c.additional_write = dummy_write;
    c.additional_guid = guid_d;
    c.self_label = NULL;
    CHECK_EQ(cd_init(&c), CD_OK);
    CHECK_MEM(cd_ring_label(cd_self_ring()), "self\0\0\0\0\0\0\0\0\0\0\0\0", CD_LABEL_LEN);
    const cd_config_t *kept = cd_core_config();
    CHECK(kept != NULL && kept->component_name != c.component_name);
    CHECK(kept != NULL && strcmp(kept->component_name, c.component_name) == 0);
    CHECK(kept != NULL && kept->additional_query == dummy_query);

    c = base_cfg();
    c.source_count = 0;
    c.source_max_bytes = 3; /* ignored without sources */
    c.triage_count = 0;
    c.storage_size = CD_STORAGE_SIZE(SELF_ITEM, SELF_COUNT, 0, 3, 0);
    CHECK_EQ(cd_init(&c), CD_OK);
    /* Validation comes before the slot search, as crashdump.h orders it. */
    CHECK_EQ(cd_source_create(&guid_a, "a", 4, 1, NULL, NULL), CD_E_RING_TOO_LARGE);
    c.source_max_bytes = 64;
    CHECK_EQ(cd_init(&c), CD_OK);
    CHECK_EQ(cd_source_create(&guid_a, "a", 4, 1, NULL, NULL), CD_E_SOURCE_LIMIT);
    CHECK_EQ(cd_triage_add(ADDR(0x20000000u), 4), CD_E_TRIAGE_FULL);
}

TEST(failed_reinit_keeps_the_running_state)
{
    fresh_init();
    cd_ring_t *self = cd_self_ring();
    uint32_t boots = cd_boot_count();
    memcpy(snap, store, sizeof store_mem);
    cd_config_t c = base_cfg();
    c.self_item_count = 0;
    CHECK_EQ(cd_init(&c), CD_E_CONFIG);
    CHECK(cd_self_ring() == self);
    CHECK_EQ(cd_boot_count(), boots);
    CHECK_MEM(snap, store, sizeof store_mem);
    CHECK_EQ(cd_self_write("x", 1), CD_OK);
}

TEST(storage_size_is_exact)
{
    fresh_init();
    memset(store + STORE_SIZE, 0xC3, GUARD);
    /* Fill everything: every source at its cap, every ring wrapped. */
    CHECK_EQ(write_n(cd_self_ring(), 3 * SELF_COUNT, 1), CD_OK);
    const cd_guid_t *g[SRC_COUNT] = {&guid_a, &guid_b, &guid_c};
    for (uint32_t i = 0; i < SRC_COUNT; i++) {
        cd_ring_t *r = NULL;
        CHECK_EQ(cd_source_create(g[i], "full", 60, SRC_MAX / 64u, &r, NULL), CD_OK);
        CHECK(r != NULL);
        if (r != NULL) {
            CHECK_EQ(ring_bytes(r), sizeof(cd_ring_hdr_t) + SRC_MAX);
            CHECK_EQ(write_n(r, 10, i), CD_OK);
        }
    }
    CHECK_EQ(cd_triage_add(ADDR(0x20000000u), 1), CD_OK);
    CHECK_EQ(cd_triage_add(ADDR(0x20000001u), 1), CD_OK);
    CHECK_EQ(cd_triage_add(ADDR(0x20000002u), 1), CD_OK);
    CHECK_EQ(cd_triage_add(ADDR(0x20000003u), 1), CD_OK);
    for (size_t i = 0; i < GUARD; i++) {
        CHECK_EQ(store[STORE_SIZE + i], 0xC3);
    }
    /* The last source ends exactly at the end of the storage. */
    uint32_t total = 0;
    cd_ring_t *last = cd_source_at(SRC_COUNT - 1, &total);
    CHECK_EQ(total, SRC_COUNT);
    CHECK((uint8_t *)last + ring_bytes(last) == store + STORE_SIZE);
    /* The self ring sits right after the header and the triage table. */
    CHECK((uint8_t *)cd_self_ring() ==
          store + CD_STORE_HDR_SIZE + TRIAGE * sizeof(cd_triage_range_t));
}

/* ------------------------------------------------------------ warm reset */

static cd_ring_t *src_a, *src_b;

/* Fresh init, then data everywhere: self ring, sources A and B (C unused),
 * part of each read so tail, lost and idx are all non-trivial. */
static void populate(void)
{
    fresh_init();
    CHECK_EQ(write_n(cd_self_ring(), 11, 40), CD_OK);
    CHECK_EQ(cd_source_create(&guid_a, "alpha", 16, 8, &src_a, NULL), CD_OK);
    CHECK_EQ(cd_source_create(&guid_b, "bravo", 5, 4, &src_b, NULL), CD_OK);
    CHECK_EQ(write_n(src_a, 13, 7), CD_OK);
    CHECK_EQ(write_n(src_b, 3, 9), CD_OK);
    uint8_t buf[CD_ITEM_MAX];
    CHECK(cd_ring_read(cd_self_ring(), buf, sizeof buf, NULL, NULL) > 0);
    CHECK(cd_ring_read(src_a, buf, sizeof buf, NULL, NULL) > 0);
    CHECK(cd_ring_read(src_b, buf, sizeof buf, NULL, NULL) > 0);
    CHECK_EQ(cd_triage_add(ADDR(0x20000100u), 16), CD_OK);
}

static int reinit(void)
{
    cd_config_t c = base_cfg();
    return cd_init(&c);
}

static int ring_kept(const cd_ring_t *r, const uint8_t *before)
{
    return memcmp(r, before + ((const uint8_t *)r - store), ring_bytes(r)) == 0;
}

TEST(warm_reinit_keeps_everything_bit_exact)
{
    populate();
    uint32_t boots = cd_boot_count();
    CHECK_EQ(boots, 1);
    memcpy(snap, store, sizeof store_mem);
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(cd_boot_count(), boots + 1);
    /* Everything after the store header and the triage table is unchanged. */
    size_t rings = CD_STORE_HDR_SIZE + TRIAGE * sizeof(cd_triage_range_t);
    CHECK_MEM(snap + rings, store + rings, STORE_SIZE - rings);
    CHECK(cd_source_find(&guid_a) == src_a);
    CHECK(cd_source_find(&guid_b) == src_b);
    uint32_t total = 9;
    CHECK(cd_triage_at(0, &total) == NULL); /* the table is per boot */
    CHECK_EQ(total, 0);
    /* Re-attach after the reset: same ring, data kept. */
    cd_ring_t *r = NULL;
    int re = 0;
    CHECK_EQ(cd_source_create(&guid_a, "other", 16, 8, &r, &re), CD_OK);
    CHECK(r == src_a);
    CHECK_EQ(re, 1);
    CHECK_MEM(cd_ring_label(r), "alpha\0\0\0\0\0\0\0\0\0\0\0", CD_LABEL_LEN);
    cd_ring_stat_t st;
    cd_ring_stat(r, &st);
    CHECK_EQ(st.head_seq, 13);
    CHECK_EQ(st.oldest_seq, 6); /* 13 written, 8 held, seq 5 read */
    CHECK_EQ(st.lost, 5);
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(cd_boot_count(), boots + 2);
}

enum { CORRUPT_PLAIN, CORRUPT_RECRC };

/* Corrupts one ring (`which`: 0 self, 1 source A) with `mutate`, re-inits,
 * and checks only that ring was reset. */
static void corrupt_case(int which, void (*mutate)(cd_ring_t *), int recrc, int line)
{
    populate();
    cd_ring_t *victim = which == 0 ? cd_self_ring() : src_a;
    mutate(victim);
    if (recrc) {
        victim->hdr.hdr_crc = cd_crc32(0, victim, CD_RING_HDR_CRC_LEN);
    }
    memcpy(snap, store, sizeof store_mem);
    int failed = unit_failed_checks;
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(cd_boot_count(), 2); /* the store itself was kept */
    cd_ring_stat_t st;
    if (which == 0) {
        cd_ring_stat(cd_self_ring(), &st);
        CHECK_EQ(st.head_seq, 0); /* reformatted, empty */
        CHECK_EQ(st.lost, 0);
        CHECK_EQ(st.count, SELF_COUNT);
        CHECK(cd_source_find(&guid_a) == src_a);
        CHECK(ring_kept(src_a, snap));
    } else {
        CHECK(cd_source_find(&guid_a) == NULL); /* freed */
        CHECK_EQ(src_a->hdr.magic, 0);
        CHECK(ring_kept(cd_self_ring(), snap));
        uint32_t total = 0;
        CHECK(cd_source_at(0, &total) == src_b);
        CHECK_EQ(total, 1);
    }
    CHECK(cd_source_find(&guid_b) == src_b);
    CHECK(ring_kept(src_b, snap));
    if (unit_failed_checks != failed) {
        fprintf(stderr, "%s:%d: corruption case (ring %d) above\n", __FILE__, line, which);
    }
}

static void m_magic(cd_ring_t *r) { r->hdr.magic ^= 0x01000000u; }
static void m_version(cd_ring_t *r) { r->hdr.version = 7; }
static void m_item(cd_ring_t *r) { r->hdr.item_size ^= 4; }
static void m_count(cd_ring_t *r) { r->hdr.count += 1; }
static void m_count_big(cd_ring_t *r) { r->hdr.count = 1000; }
static void m_stride(cd_ring_t *r) { r->hdr.stride += 4; }
static void m_guid(cd_ring_t *r) { r->hdr.guid.b[7] ^= 0x20; }
static void m_label(cd_ring_t *r) { r->hdr.label[1] ^= 0x20; }
static void m_crc(cd_ring_t *r) { r->hdr.hdr_crc += 1; }
static void m_idx(cd_ring_t *r) { r->hdr.idx = r->hdr.count; }
static void m_idx_pow2(cd_ring_t *r) { r->hdr.idx = (r->hdr.idx + 1) % r->hdr.count; }
/* Slot of the newest item, which is always held in these rings. */
static uint8_t *newest_slot(cd_ring_t *r)
{
    uint32_t i = r->hdr.idx == 0 ? r->hdr.count - 1 : r->hdr.idx - 1;
    return (uint8_t *)(r + 1) + (size_t)i * r->hdr.stride;
}
static void m_slot_len(cd_ring_t *r) { newest_slot(r)[0] = 0; newest_slot(r)[1] = 0; }
static void m_slot_long(cd_ring_t *r) { newest_slot(r)[0] = (uint8_t)(r->hdr.item_size + 1); }

TEST(corruption_of_each_field_resets_only_that_ring)
{
    for (int which = 0; which < 2; which++) {
        corrupt_case(which, m_magic, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_version, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_item, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_count, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_stride, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_guid, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_label, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_crc, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_item, CORRUPT_RECRC, __LINE__);
        corrupt_case(which, m_count_big, CORRUPT_RECRC, __LINE__);
        corrupt_case(which, m_stride, CORRUPT_RECRC, __LINE__);
        corrupt_case(which, m_idx, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_idx_pow2, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_slot_len, CORRUPT_PLAIN, __LINE__);
        corrupt_case(which, m_slot_long, CORRUPT_PLAIN, __LINE__);
    }
    /* The self ring must also be exactly the configured one: a valid ring
     * with another guid or label is replaced. */
    corrupt_case(0, m_guid, CORRUPT_RECRC, __LINE__);
    corrupt_case(0, m_label, CORRUPT_RECRC, __LINE__);
}

/* A ring that is only written (or only captured) lets tail lag head by any
 * amount: after 2^31 writes the lag passes 2^31, and near 2^32 it looks like
 * tail "ahead" of head. Both are rings to keep at a warm reset, bit for bit,
 * with the newest count items readable in order (issue 11). Storage is
 * prepared as that many writes would leave it: head moved by a multiple of
 * count keeps idx == head % count and every slot's item. */
static void lag_case(uint32_t head_add, uint32_t lag, int line)
{
    populate();
    cd_ring_t *rings[2] = {cd_self_ring(), src_a};
    uint32_t head0[2], lost0[2];
    for (int k = 0; k < 2; k++) {
        cd_ring_t *r = rings[k];
        head0[k] = r->hdr.head;
        lost0[k] = r->hdr.lost;
        r->hdr.head += head_add;
        r->hdr.tail = r->hdr.head - lag;
    }
    memcpy(snap, store, sizeof store_mem);
    int failed = unit_failed_checks;
    CHECK_EQ(reinit(), CD_OK);
    for (int k = 0; k < 2; k++) {
        cd_ring_t *r = rings[k];
        /* Kept; a lag of 2^31 or more is folded into lost at adoption. */
        int folded = lag >= 0x80000000u;
        if (!folded) {
            CHECK(ring_kept(r, snap));
        } else {
            CHECK_EQ(r->hdr.tail, r->hdr.head - r->hdr.count);
            CHECK_EQ(r->hdr.lost, lost0[k] + lag - r->hdr.count);
        }
        cd_ring_stat_t st;
        cd_ring_stat(r, &st);
        CHECK_EQ(st.head_seq, head0[k] + head_add);
        CHECK_EQ(st.oldest_seq, st.head_seq - r->hdr.count);
        CHECK_EQ(st.lost, lost0[k] + lag - r->hdr.count);
        /* The newest item is the last one write_n() put before the "reset". */
        uint8_t got[CD_ITEM_MAX], want[CD_ITEM_MAX];
        uint32_t v = (k == 0 ? 40u : 7u) + head0[k] - 1u;
        size_t len = 1u + v % r->hdr.item_size;
        memset(want, (int)v, len);
        CHECK_EQ(cd_ring_peek(r, st.head_seq - 1u, got, sizeof got), (int)len);
        CHECK_MEM(got, want, len);
        uint32_t seq = 0, lost = 0;
        CHECK(cd_ring_read(r, got, sizeof got, &seq, &lost) > 0);
        CHECK_EQ(seq, st.oldest_seq);
        CHECK_EQ(lost, folded ? 0 : lag - r->hdr.count);
        /* With the lag folded, a write right after the reset cannot wrap it. */
        cd_ring_stat(r, &st);
        CHECK_EQ(write_n(r, 1, 3), CD_OK);
        cd_ring_stat_t st2;
        cd_ring_stat(r, &st2);
        CHECK(st2.head_seq != st2.oldest_seq);
    }
    if (unit_failed_checks != failed) {
        fprintf(stderr, "%s:%d: lag case above\n", __FILE__, line);
    }
}

TEST(rings_lagging_past_2_31_and_2_32_are_kept)
{
    lag_case(0x80000000u, 0x7FFFFFF0u, __LINE__);  /* just below 2^31: kept bit for bit */
    lag_case(0x80000000u, 0x80000005u, __LINE__);  /* 2^31 + 5 written, never read */
    lag_case(0x80000000u, 0xFFFFFFF0u, __LINE__);  /* lag just below 2^32 */
    lag_case(0xFFFFFFF0u, 0xFFFFFFFDu, __LINE__);  /* head across 0, tail "ahead" by 3 */
    lag_case(0x00000000u, 0xFFFFFFFFu, __LINE__);  /* tail "ahead" by 1: a write would wrap it */
    lag_case(0x7FFFFFF8u, 0x80000000u, __LINE__);  /* exactly 2^31 */
}

TEST(bad_store_header_or_layout_reinitialises_everything)
{
    populate();
    store[0] ^= 1; /* store magic */
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(cd_boot_count(), 1);
    CHECK(cd_source_find(&guid_a) == NULL);
    cd_ring_stat_t st;
    cd_ring_stat(cd_self_ring(), &st);
    CHECK_EQ(st.head_seq, 0);

    populate();
    store[12] ^= 1; /* boot_count, covered by the store header CRC */
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(cd_boot_count(), 1);
    CHECK(cd_source_find(&guid_b) == NULL);

    populate();
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(cd_boot_count(), 2);
    cd_config_t c = base_cfg(); /* one source slot fewer: another layout */
    c.source_count = SRC_COUNT - 1;
    CHECK_EQ(cd_init(&c), CD_OK);
    CHECK_EQ(cd_boot_count(), 1);
    CHECK(cd_source_find(&guid_a) == NULL);
    cd_ring_stat(cd_self_ring(), &st);
    CHECK_EQ(st.head_seq, 0);
    /* Only the triage table's size changes: still a new layout (the rings move). */
    CHECK_EQ(write_n(cd_self_ring(), 3, 1), CD_OK);
    c.triage_count = TRIAGE - 1;
    CHECK_EQ(cd_init(&c), CD_OK);
    CHECK_EQ(cd_boot_count(), 1);
    cd_ring_stat(cd_self_ring(), &st);
    CHECK_EQ(st.head_seq, 0);
    /* Only the self ring's count changes: still a new layout. */
    CHECK_EQ(write_n(cd_self_ring(), 3, 1), CD_OK);
    c.self_item_count = SELF_COUNT - 1;
    CHECK_EQ(cd_init(&c), CD_OK);
    CHECK_EQ(cd_boot_count(), 1);
    cd_ring_stat(cd_self_ring(), &st);
    CHECK_EQ(st.head_seq, 0);
}

TEST(boot_counter_counts_inits)
{
    fresh_init();
    CHECK_EQ(cd_boot_count(), 1);
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(reinit(), CD_OK);
    CHECK_EQ(cd_boot_count(), 3);
    cd_wire_info_t info;
    cd_core_info(&info);
    CHECK_EQ(info.boot_count, 3);
}

/* ------------------------------------------------------------ sources */

TEST(source_create_reattach_and_geometry)
{
    fresh_init();
    cd_ring_t *r = NULL, *r2 = NULL;
    int re = 7;
    CHECK_EQ(cd_source_create(&guid_a, "alpha", 10, 5, &r, &re), CD_OK);
    CHECK(r != NULL);
    CHECK_EQ(re, 0);
    CHECK(cd_source_find(&guid_a) == r);
    CHECK_MEM(cd_ring_guid(r), &guid_a, sizeof guid_a);
    CHECK_MEM(cd_ring_label(r), "alpha\0\0\0\0\0\0\0\0\0\0\0", CD_LABEL_LEN);
    cd_ring_stat_t st;
    cd_ring_stat(r, &st);
    CHECK_EQ(st.count, 5);
    CHECK_EQ(st.item_size, 10);
    CHECK_EQ(write_n(r, 3, 1), CD_OK);

    CHECK_EQ(cd_source_create(&guid_a, NULL, 10, 5, &r2, &re), CD_OK);
    CHECK(r2 == r);
    CHECK_EQ(re, 1);
    cd_ring_stat(r, &st);
    CHECK_EQ(st.head_seq, 3); /* data kept */
    CHECK_EQ(cd_source_create(&guid_a, "alpha", 11, 5, &r2, &re), CD_E_GEOMETRY);
    CHECK(r2 == NULL);
    CHECK_EQ(cd_source_create(&guid_a, "alpha", 10, 6, &r2, &re), CD_E_GEOMETRY);
    /* Geometry is checked against the existing source before anything else. */
    CHECK_EQ(cd_source_create(&guid_a, "alpha", 0, 0, NULL, NULL), CD_E_GEOMETRY);

    CHECK_EQ(cd_source_create(&guid_b, "0123456789abcdefXYZ", 4, 1, &r2, NULL), CD_OK);
    CHECK_MEM(cd_ring_label(r2), "0123456789abcdef", CD_LABEL_LEN);
    CHECK_EQ(cd_source_create(&guid_c, NULL, 4, 1, &r2, NULL), CD_OK);
    CHECK_MEM(cd_ring_label(r2), "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", CD_LABEL_LEN);
    /* The self ring is not a source. */
    CHECK(cd_source_find(&self_guid) == NULL);
    CHECK_EQ(cd_source_destroy(&self_guid), CD_E_UNKNOWN_SOURCE);
    CHECK(cd_source_find(NULL) == NULL);
    CHECK(cd_source_find(&zero_guid) == NULL);
}

TEST(source_create_validation_codes)
{
    fresh_init();
    cd_ring_t *r = (cd_ring_t *)1;
    CHECK_EQ(cd_source_create(NULL, "x", 8, 4, &r, NULL), CD_E_INVAL);
    CHECK(r == NULL);
    CHECK_EQ(cd_source_create(&zero_guid, "x", 8, 4, &r, NULL), CD_E_INVAL);
    CHECK_EQ(cd_source_create(&guid_a, "x", 0, 4, &r, NULL), CD_E_INVAL);
    CHECK_EQ(cd_source_create(&guid_a, "x", 8, 0, &r, NULL), CD_E_INVAL);
    CHECK_EQ(cd_source_create(&guid_a, "x", CD_ITEM_MAX + 1, 1, &r, NULL), CD_E_ITEM_TOO_LARGE);
    /* SRC_MAX 256: item 12 -> stride 16 -> at most 16 slots. */
    CHECK_EQ(cd_source_create(&guid_a, "x", 12, 17, &r, NULL), CD_E_RING_TOO_LARGE);
    CHECK_EQ(cd_source_create(&guid_a, "x", CD_ITEM_MAX, 1, &r, NULL), CD_E_RING_TOO_LARGE);
    /* 0x40000001 * 8 wraps to 8 in 32 bits: must still be too large. */
    CHECK_EQ(cd_source_create(&guid_a, "x", 4, 0x40000001u, &r, NULL), CD_E_RING_TOO_LARGE);
    CHECK_EQ(cd_source_create(&guid_a, "x", 4, 0xFFFFFFFFu, &r, NULL), CD_E_RING_TOO_LARGE);
    uint32_t total = 9;
    CHECK(cd_source_at(0, &total) == NULL);
    CHECK_EQ(total, 0); /* nothing was created by the failures */
    CHECK_EQ(cd_source_create(&guid_a, "x", 12, 16, &r, NULL), CD_OK); /* exactly the cap */
    CHECK(r != NULL && ring_bytes(r) == sizeof(cd_ring_hdr_t) + SRC_MAX);
}

TEST(source_limit_destroy_and_list)
{
    fresh_init();
    cd_ring_t *a, *b, *c, *d = NULL;
    CHECK_EQ(cd_source_create(&guid_a, "a", 4, 2, &a, NULL), CD_OK);
    CHECK_EQ(cd_source_create(&guid_b, "b", 4, 2, &b, NULL), CD_OK);
    CHECK_EQ(cd_source_create(&guid_c, "c", 4, 2, &c, NULL), CD_OK);
    CHECK_EQ(cd_source_create(&guid_d, "d", 4, 2, &d, NULL), CD_E_SOURCE_LIMIT);
    CHECK(d == NULL);
    uint32_t total = 0;
    CHECK(cd_source_at(0, &total) == a);
    CHECK_EQ(total, 3);
    CHECK(cd_source_at(1, NULL) == b);
    CHECK(cd_source_at(2, NULL) == c);
    CHECK(cd_source_at(3, &total) == NULL);

    CHECK_EQ(write_n(b, 2, 5), CD_OK);
    CHECK_EQ(cd_source_destroy(&guid_b), CD_OK);
    CHECK_EQ(cd_source_destroy(&guid_b), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(cd_source_destroy(&guid_d), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(cd_source_destroy(NULL), CD_E_UNKNOWN_SOURCE);
    CHECK(cd_source_find(&guid_b) == NULL);
    for (size_t i = 0; i < ring_bytes(b); i++) { /* header and data wiped */
        CHECK_EQ(((uint8_t *)b)[i], 0);
    }
    CHECK_EQ(cd_ring_write(b, "x", 1, NULL), CD_E_ITEM_TOO_LARGE); /* stale handle */
    CHECK(cd_source_at(1, &total) == c); /* order kept, gap skipped */
    CHECK_EQ(total, 2);

    CHECK_EQ(cd_source_create(&guid_d, "d", 4, 2, &d, NULL), CD_OK);
    CHECK(d == b); /* the freed slot is reused */
    CHECK(cd_source_at(1, &total) == d);
    CHECK_EQ(total, 3);
}

/* ------------------------------------------------------------ triage */

TEST(triage_add_validates_against_the_memory_map)
{
    fresh_init();
    uint32_t total = 0;
    CHECK_EQ(cd_triage_add(ADDR(0x20000000u), 0), CD_E_INVAL);
    CHECK_EQ(cd_triage_add(ADDR(UINTPTR_MAX - 0xFu), 0x20), CD_E_INVAL); /* wraps */
    CHECK_EQ(cd_triage_add(ADDR(0x1000u), 4), CD_E_TRIAGE_RANGE);
    CHECK_EQ(cd_triage_add(ADDR(0x2000FFF0u), 0x20), CD_E_TRIAGE_RANGE); /* spans two */
    CHECK_EQ(cd_triage_add(ADDR(0x2001FFF0u), 0x11), CD_E_TRIAGE_RANGE); /* past the end */
    CHECK_EQ(cd_triage_add(ADDR(0x07FFFFFFu), 2), CD_E_TRIAGE_RANGE);   /* before the start */
    CHECK_EQ(cd_triage_add(ADDR(0x40000000u), 4), CD_E_TRIAGE_RANGE);   /* not readable */
    CHECK(cd_triage_at(0, &total) == NULL);
    CHECK_EQ(total, 0);

    CHECK_EQ(cd_triage_add(ADDR(0x20000000u), 0x10000), CD_OK);  /* a whole region */
    CHECK_EQ(cd_triage_add(ADDR(0x2001FFF0u), 0x10), CD_OK);     /* up to its end */
    CHECK_EQ(cd_triage_add(ADDR(UINTPTR_MAX - 0xFu), 0x10), CD_OK); /* up to 2^N - 1 */
    CHECK_EQ(cd_triage_add(ADDR(0x08000100u), 0x40), CD_OK);
    const cd_triage_range_t *t = cd_triage_at(2, &total);
    CHECK_EQ(total, 4);
    CHECK(t != NULL && t->addr == UINTPTR_MAX - 0xFu && t->len == 0x10);
}

TEST(triage_duplicates_full_and_remove)
{
    fresh_init();
    uint32_t total = 0;
    CHECK_EQ(cd_triage_add(ADDR(0x20000010u), 8), CD_OK);
    CHECK_EQ(cd_triage_add(ADDR(0x20000020u), 8), CD_OK);
    CHECK_EQ(cd_triage_add(ADDR(0x20000010u), 8), CD_OK); /* duplicate: one entry */
    CHECK(cd_triage_at(0, &total) != NULL);
    CHECK_EQ(total, 2);
    CHECK_EQ(cd_triage_add(ADDR(0x20000010u), 9), CD_OK); /* same start, other length */
    CHECK_EQ(cd_triage_add(ADDR(0x20000030u), 8), CD_OK);
    CHECK_EQ(cd_triage_add(ADDR(0x20000040u), 8), CD_E_TRIAGE_FULL);
    CHECK_EQ(cd_triage_add(ADDR(0x20000030u), 8), CD_OK); /* duplicate of a full table */
    CHECK(cd_triage_at(3, &total) != NULL);
    CHECK_EQ(total, TRIAGE);

    CHECK_EQ(cd_triage_remove(ADDR(0x20000020u), 9), CD_E_NOT_FOUND);
    CHECK_EQ(cd_triage_remove(ADDR(0x20000021u), 8), CD_E_NOT_FOUND);
    CHECK_EQ(cd_triage_remove(ADDR(0x20000020u), 8), CD_OK);
    CHECK_EQ(cd_triage_remove(ADDR(0x20000020u), 8), CD_E_NOT_FOUND);
    static const uintptr_t want_addr[] = {0x20000010u, 0x20000010u, 0x20000030u};
    static const size_t want_len[] = {8, 9, 8};
    for (uint32_t i = 0; i < 3; i++) { /* the rest keep their order */
        const cd_triage_range_t *t = cd_triage_at(i, &total);
        CHECK(t != NULL && t->addr == want_addr[i] && t->len == want_len[i]);
    }
    CHECK_EQ(total, 3);
    CHECK(cd_triage_at(3, NULL) == NULL);
    CHECK_EQ(cd_triage_add(ADDR(0x20000040u), 8), CD_OK); /* room again */
    CHECK_EQ(reinit(), CD_OK);
    CHECK(cd_triage_at(0, &total) == NULL);
    CHECK_EQ(total, 0);
    /* The table's bytes are wiped too: a dump of the storage shows no stale ranges. */
    for (size_t i = 0; i < TRIAGE * sizeof(cd_triage_range_t); i++) {
        CHECK_EQ(store[CD_STORE_HDR_SIZE + i], 0);
    }
}

/* ------------------------------------------------------------ info */

TEST(core_info_fields)
{
    static const uint8_t id[] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    fake_set_build_id(id, sizeof id);
    fresh_init();
    CHECK_EQ(cd_source_create(&guid_b, "b", 4, 2, NULL, NULL), CD_OK);
    CHECK_EQ(cd_triage_add(ADDR(0x20000000u), 4), CD_OK);
    cd_wire_info_t info;
    memset(&info, 0xFF, sizeof info);
    cd_core_info(&info);
    CHECK_EQ(info.proto_version, CD_PROTO_VERSION);
    CHECK_EQ(info.frame_max, CD_FRAME_MAX);
    uint32_t caps = CD_CAP_SOURCES | CD_CAP_TRIAGE | CD_CAP_RESET | CD_CAP_DUMP;
#if CD_ENABLE_FAULT_CMDS
    caps |= CD_CAP_FAULT_CMDS;
#endif
    CHECK_EQ(info.caps, caps);
    CHECK_EQ(info.source_max, SRC_COUNT);
    CHECK_EQ(info.source_used, 1);
    CHECK_EQ(info.ring_max_bytes, SRC_MAX);
    CHECK_EQ(info.item_max, CD_ITEM_MAX);
    CHECK_EQ(info.triage_max, TRIAGE);
    CHECK_EQ(info.triage_used, 1);
    CHECK_EQ(info.self_item_size, SELF_ITEM);
    CHECK_EQ(info.self_count, SELF_COUNT);
    CHECK_MEM(&info.self_guid, &self_guid, sizeof self_guid);
    CHECK_EQ(info.boot_count, 1);
    CHECK_EQ(info.rx_frames, 0);
    CHECK_EQ(info.rx_errors, 0);
    CHECK_EQ(info.build_id_len, sizeof id);
    CHECK_MEM(info.build_id, id, sizeof id);
    CHECK_EQ(info.lib_version[0], CD_VERSION_MAJOR);
    CHECK_EQ(info.lib_version[1], CD_VERSION_MINOR);
    CHECK_EQ(info.lib_version[2], CD_VERSION_PATCH);
    char name[CD_NAME_LEN] = "unit-core";
    CHECK_MEM(info.name, name, CD_NAME_LEN); /* NUL-padded */

    fake_set_build_id(id, 3);
    cd_core_info(&info);
    CHECK_EQ(info.build_id_len, 3);
    CHECK_MEM(info.build_id, "\xde\xad\xbe\0\0", 5);
}

int main(void)
{
    fake_set_memory_map(test_map, sizeof test_map / sizeof test_map[0]);
    RUN(api_before_init_fails_cleanly); /* first: needs a library never initialised */
    RUN(init_rejects_each_bad_field_and_writes_nothing);
    RUN(init_accepts_the_limits);
    RUN(failed_reinit_keeps_the_running_state);
    RUN(storage_size_is_exact);
    RUN(warm_reinit_keeps_everything_bit_exact);
    RUN(corruption_of_each_field_resets_only_that_ring);
    RUN(rings_lagging_past_2_31_and_2_32_are_kept);
    RUN(bad_store_header_or_layout_reinitialises_everything);
    RUN(boot_counter_counts_inits);
    RUN(source_create_reattach_and_geometry);
    RUN(source_create_validation_codes);
    RUN(source_limit_destroy_and_list);
    RUN(triage_add_validates_against_the_memory_map);
    RUN(triage_duplicates_full_and_remove);
    RUN(core_info_fields);
    return UNIT_END();
}
