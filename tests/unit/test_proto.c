/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Serial protocol, device side (firmware/src/cd_proto.c), driven as a host
 * would: requests are built and COBS-encoded here with code independent of the
 * firmware's (a bitwise CRC-32 and a whole-buffer COBS), fed byte by byte to
 * cd_proto_rx_byte(), executed by cd_proto_poll(), and the responses are taken
 * apart from fake_tx. Covers every command's success path, every error status
 * the protocol can produce, and the receiver's recovery from bad input.
 */
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#include "cd_internal.h"
#include "crashdump/crashdump.h"
#include "fake_port.h"
#include "unit.h"

/* ---- configuration under test */

#define SELF_ITEM 32u
#define SELF_COUNT 8u
#define SRC_SLOTS 25u         /* more than one SRC_LIST page (19 entries) */
#define SRC_MAX_BYTES 8192u
#define TRIAGE_SLOTS 200u     /* more than one TRIAGE_LIST page (126 entries) */
#define PAYLOAD_MAX (CD_FRAME_MAX - 8u)

static uint8_t storage[CD_STORAGE_SIZE(SELF_ITEM, SELF_COUNT, SRC_SLOTS, SRC_MAX_BYTES,
                                       TRIAGE_SLOTS)] __attribute__((aligned(8)));

static const cd_guid_t self_guid = {{0x5e, 0x1f, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                     0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d}};

static uint8_t triage_area[4096];
static const cd_mem_region_t test_map[] = {
    {(uintptr_t)triage_area, sizeof triage_area, CD_MEM_READ | CD_MEM_WRITE},
};

static const uint8_t build_id[20] = {0xde, 0xad, 0xbe, 0xef, 1, 2,  3,  4,  5,  6,
                                     7,    8,    9,    10,   11, 12, 13, 14, 15, 16};

/* Fresh storage (cold boot), or keep it (warm reset). */
static void boot(int cold)
{
    cd_config_t cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.component_name = "proto-unit";
    cfg.self_guid = self_guid;
    cfg.self_item_size = SELF_ITEM;
    cfg.self_item_count = SELF_COUNT;
    cfg.source_count = SRC_SLOTS;
    cfg.source_max_bytes = SRC_MAX_BYTES;
    cfg.triage_count = TRIAGE_SLOTS;
    cfg.storage = storage;
    cfg.storage_size = sizeof storage;
    if (cold) {
        memset(storage, 0, sizeof storage);
    }
    fake_set_memory_map(test_map, 1);
    fake_set_build_id(build_id, sizeof build_id);
    CHECK_EQ(cd_init(&cfg), CD_OK);
    cd_proto_reset(); /* .bss is zero after a real reset, cold or warm */
    fake_tx_clear();
}

/* ---- an independent host side: CRC, COBS, frames */

static uint32_t crc32_ref(const uint8_t *p, size_t n)
{
    uint32_t c = 0xFFFFFFFFu;
    while (n--) {
        c ^= *p++;
        for (int k = 0; k < 8; k++) {
            c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
        }
    }
    return ~c;
}

/* COBS-encodes in[0..n) to out and appends the delimiter; returns the length. */
static size_t cobs_enc(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t o = 1, code_at = 0;
    uint8_t code = 1;
    for (size_t i = 0; i < n; i++) {
        if (in[i] == 0) {
            out[code_at] = code;
            code_at = o++;
            code = 1;
        } else {
            out[o++] = in[i];
            if (++code == 0xFF) {
                out[code_at] = code;
                code_at = o++;
                code = 1;
            }
        }
    }
    out[code_at] = code;
    out[o++] = 0;
    return o;
}

/* Decodes one COBS segment (no delimiter); -1 if a group runs past its end. */
static long cobs_dec(const uint8_t *in, size_t n, uint8_t *out)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t code = in[i++];
        for (uint8_t j = 1; j < code; j++) {
            if (i >= n) {
                return -1;
            }
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < n) {
            out[o++] = 0;
        }
    }
    return (long)o;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Raw frame: header, payload, CRC. Returns its length. */
static size_t make_raw(uint8_t *f, uint8_t cmd, uint8_t id, const void *payload, size_t len)
{
    f[0] = cmd;
    f[1] = id;
    f[2] = 0;
    f[3] = 0;
    if (len) {
        memcpy(f + 4, payload, len);
    }
    put32(f + 4 + len, crc32_ref(f, 4 + len));
    return len + 8;
}

/* Wire bytes of a request (COBS + delimiter). */
static size_t make_wire(uint8_t *w, uint8_t cmd, uint8_t id, const void *payload, size_t len)
{
    static uint8_t raw[CD_FRAME_MAX * 2];
    return cobs_enc(raw, make_raw(raw, cmd, id, payload, len), w);
}

static void feed(const uint8_t *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        cd_proto_rx_byte(b[i]);
    }
}

typedef struct {
    uint8_t cmd, id;
    int status;
    size_t len;                 /* payload */
    uint8_t p[CD_FRAME_MAX];
} rsp_t;

/* Splits fake_tx into frames and checks each is well formed (COBS, length,
 * CRC). Returns how many; fills out[0..max). */
static int take_responses(rsp_t *out, int max)
{
    static uint8_t dec[CD_FRAME_MAX * 2];
    int n = 0;
    size_t start = 0;

    for (size_t i = 0; i < fake_tx_len; i++) {
        if (fake_tx[i] != 0) {
            continue;
        }
        long d = cobs_dec(fake_tx + start, i - start, dec);
        CHECK(d >= 8 && d <= (long)CD_FRAME_MAX);
        if (d >= 8 && d <= (long)CD_FRAME_MAX) {
            CHECK_EQ(get32(dec + d - 4), crc32_ref(dec, (size_t)d - 4));
            if (n < max) {
                out[n].cmd = dec[0];
                out[n].id = dec[1];
                out[n].status = (int16_t)get16(dec + 2);
                out[n].len = (size_t)d - 8;
                memcpy(out[n].p, dec + 4, out[n].len);
                if (out[n].status != CD_OK) {
                    CHECK_EQ(out[n].len, 0); /* error responses are empty */
                }
            }
        }
        n++;
        start = i + 1;
    }
    CHECK_EQ(start, fake_tx_len); /* nothing after the last delimiter */
    return n;
}

static uint8_t next_id = 1;
static rsp_t rsp; /* the last response */

/* One request/response exchange. Returns the response status. */
static int call(uint8_t cmd, const void *payload, size_t len)
{
    static uint8_t w[CD_FRAME_MAX * 2 + 16];
    uint8_t id = next_id++;
    size_t n = make_wire(w, cmd, id, payload, len);

    fake_tx_clear();
    feed(w, n);
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(cd_proto_poll(), 0);
    memset(&rsp, 0, sizeof rsp);
    CHECK_EQ(take_responses(&rsp, 1), 1);
    CHECK_EQ(rsp.cmd, cmd | 0x80);
    CHECK_EQ(rsp.id, id);
    return rsp.status;
}

/* Feeds raw wire bytes, polls, and checks that nothing was answered. */
static void feed_expect_silence(const uint8_t *b, size_t n)
{
    fake_tx_clear();
    feed(b, n);
    (void)cd_proto_poll();
    CHECK_EQ(fake_tx_len, 0);
}

/* ---- request builders */

static cd_guid_t guid_n(unsigned n)
{
    cd_guid_t g;
    for (unsigned i = 0; i < 16; i++) {
        g.b[i] = (uint8_t)(0xA0 + i + n * 17);
    }
    g.b[0] = (uint8_t)n; /* distinct and never all-zero */
    g.b[15] = 0x5A;
    return g;
}

static int create(const cd_guid_t *g, const char *label, uint16_t item_size, uint32_t count,
                  cd_wire_source_t *out)
{
    cd_wire_create_t c;
    memset(&c, 0, sizeof c);
    c.guid = *g;
    if (label) {
        memcpy(c.label, label, strnlen(label, CD_LABEL_LEN));
    }
    c.item_size = item_size;
    c.count = count;
    int st = call(CD_CMD_SRC_CREATE, &c, sizeof c);
    if (st == CD_OK) {
        CHECK_EQ(rsp.len, sizeof(cd_wire_source_t));
        if (out) {
            memcpy(out, rsp.p, sizeof *out);
        }
    }
    return st;
}

static int open_src(const cd_guid_t *g, cd_wire_source_t *out)
{
    int st = call(CD_CMD_SRC_OPEN, g, sizeof *g);
    if (st == CD_OK) {
        CHECK_EQ(rsp.len, sizeof(cd_wire_source_t));
        memcpy(out, rsp.p, sizeof *out);
    }
    return st;
}

/* SRC_WRITE; *seq gets the item's sequence number. */
static int write_item(const cd_guid_t *g, const void *data, size_t len, uint32_t *seq)
{
    static uint8_t p[CD_FRAME_MAX];
    memcpy(p, g, 16);
    memcpy(p + 16, data, len);
    int st = call(CD_CMD_SRC_WRITE, p, 16 + len);
    if (st == CD_OK) {
        CHECK_EQ(rsp.len, 4);
        if (seq) {
            *seq = get32(rsp.p);
        }
    }
    return st;
}

/* Item payload derived from its sequence number, so any item can be checked. */
static size_t item_for(uint32_t seq, size_t item_size, uint8_t *out)
{
    size_t len = 1 + (seq * 37u) % item_size;
    for (size_t i = 0; i < len; i++) {
        out[i] = (uint8_t)(seq * 13u + i * 7u + 1u);
    }
    return len;
}

typedef struct {
    cd_wire_items_t h;
    uint16_t len[512];
    const uint8_t *data[512];
} items_t;

/* Parses a READ/CAPTURE response in rsp; checks the records exactly fill it. */
static void parse_items(items_t *it)
{
    size_t pos = sizeof(cd_wire_items_t);
    CHECK(rsp.len >= pos);
    memcpy(&it->h, rsp.p, sizeof it->h);
    CHECK(it->h.n_items <= 512);
    for (unsigned i = 0; i < it->h.n_items && i < 512; i++) {
        CHECK(pos + 2 <= rsp.len);
        it->len[i] = get16(rsp.p + pos);
        it->data[i] = rsp.p + pos + 2;
        pos += 2u + it->len[i];
    }
    CHECK_EQ(pos, rsp.len);
}

static int read_req(uint8_t cmd, const cd_guid_t *g, uint16_t max_items, items_t *it)
{
    cd_wire_read_t r;
    memset(&r, 0, sizeof r);
    r.guid = *g;
    r.max_items = max_items;
    int st = call(cmd, &r, sizeof r);
    if (st == CD_OK) {
        parse_items(it);
    }
    return st;
}

static int capture_req(uint8_t cmd, const cd_guid_t *g, uint32_t from, uint32_t flags,
                       items_t *it)
{
    cd_wire_capture_t c;
    memset(&c, 0, sizeof c);
    c.guid = *g;
    c.from_seq = from;
    c.flags = flags;
    int st = call(cmd, &c, sizeof c);
    if (st == CD_OK) {
        parse_items(it);
    }
    return st;
}

/* Checks item i of a reply is the item_for(seq) of the given ring item size. */
static void check_item(const items_t *it, unsigned i, uint32_t seq, size_t item_size)
{
    uint8_t want[CD_ITEM_MAX];
    size_t n = item_for(seq, item_size, want);
    CHECK_EQ(it->len[i], n);
    if (it->len[i] == n) {
        CHECK_MEM(it->data[i], want, n);
    }
}

static void get_info(cd_wire_info_t *info)
{
    CHECK_EQ(call(CD_CMD_INFO, NULL, 0), CD_OK);
    CHECK_EQ(rsp.len, sizeof *info);
    memcpy(info, rsp.p, sizeof *info);
}

/* rx counters as INFO reports them, minus the INFO request itself. */
static void counters(uint32_t *frames, uint32_t *errors)
{
    cd_wire_info_t info;
    get_info(&info);
    *frames = info.rx_frames - 1;
    *errors = info.rx_errors;
}

/* ================================================================ tests */

TEST(info_fields)
{
    cd_wire_info_t a, b;
    boot(1);
    get_info(&a);
    CHECK_EQ(a.proto_version, CD_PROTO_VERSION);
    CHECK_EQ(a.frame_max, CD_FRAME_MAX);
    CHECK((a.caps & (CD_CAP_SOURCES | CD_CAP_TRIAGE | CD_CAP_RESET)) ==
          (CD_CAP_SOURCES | CD_CAP_TRIAGE | CD_CAP_RESET));
    CHECK_EQ(a.source_max, SRC_SLOTS);
    CHECK_EQ(a.source_used, 0);
    CHECK_EQ(a.ring_max_bytes, SRC_MAX_BYTES);
    CHECK_EQ(a.item_max, CD_ITEM_MAX);
    CHECK_EQ(a.triage_max, TRIAGE_SLOTS);
    CHECK_EQ(a.triage_used, 0);
    CHECK_EQ(a.self_item_size, SELF_ITEM);
    CHECK_EQ(a.self_count, SELF_COUNT);
    CHECK_MEM(&a.self_guid, &self_guid, 16);
    CHECK_EQ(a.boot_count, 1);
    CHECK_EQ(a.build_id_len, 20);
    CHECK_MEM(a.build_id, build_id, 20);
    CHECK(memcmp(a.name, "proto-unit\0", 11) == 0);
    for (size_t i = 10; i < CD_NAME_LEN; i++) {
        CHECK_EQ(a.name[i], 0);
    }

    /* The INFO request itself counts as a good frame; nothing else changed. */
    get_info(&b);
    CHECK_EQ(b.rx_frames, a.rx_frames + 1);
    CHECK_EQ(b.rx_errors, a.rx_errors);

    /* A shorter build id, a created source and a warm reset show up. */
    fake_set_build_id(build_id, 3);
    cd_guid_t g = guid_n(1);
    CHECK_EQ(create(&g, "x", 8, 4, NULL), CD_OK);
    get_info(&b);
    CHECK_EQ(b.build_id_len, 3);
    CHECK_EQ(b.source_used, 1);
    boot(0);
    get_info(&b);
    CHECK_EQ(b.boot_count, 2);
    CHECK_EQ(b.source_used, 1);
}

TEST(info_worked_example)
{
    /* The bytes docs/protocol.md shows for "INFO, id 1": keep them in sync. */
    static const uint8_t raw_doc[] = {0x01, 0x01, 0x00, 0x00, 0x4E, 0xD2, 0x3A, 0x98};
    static const uint8_t wire_doc[] = {0x03, 0x01, 0x01, 0x01, 0x05, 0x4E, 0xD2, 0x3A, 0x98, 0x00};
    uint8_t raw[16], wire[32];

    CHECK_EQ(crc32_ref((const uint8_t *)"123456789", 9), 0xCBF43926u); /* the check value */
    CHECK_EQ(cd_crc32(0, "123456789", 9), 0xCBF43926u);
    CHECK_EQ(make_raw(raw, CD_CMD_INFO, 1, NULL, 0), sizeof raw_doc);
    CHECK_MEM(raw, raw_doc, sizeof raw_doc);
    CHECK_EQ(make_wire(wire, CD_CMD_INFO, 1, NULL, 0), sizeof wire_doc);
    CHECK_MEM(wire, wire_doc, sizeof wire_doc);

    /* And the device answers exactly those bytes. */
    boot(1);
    fake_tx_clear();
    feed(wire_doc, sizeof wire_doc);
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(take_responses(&rsp, 1), 1);
    CHECK_EQ(rsp.cmd, 0x81);
    CHECK_EQ(rsp.id, 1);
    CHECK_EQ(rsp.status, 0);
    CHECK_EQ(rsp.len, sizeof(cd_wire_info_t));
}

TEST(reset_after_response)
{
    boot(1);
    int before = fake_resets;
    CHECK_EQ(call(CD_CMD_RESET, NULL, 0), CD_OK);
    CHECK_EQ(rsp.len, 0);
    CHECK_EQ(fake_resets, before + 1);
    /* No reset for anything else, including a malformed RESET. */
    CHECK_EQ(call(CD_CMD_RESET, "x", 1), CD_E_MALFORMED);
    CHECK_EQ(call(CD_CMD_INFO, NULL, 0), CD_OK);
    CHECK_EQ(fake_resets, before + 1);
}

TEST(source_lifecycle)
{
    cd_wire_source_t s;
    cd_guid_t a = guid_n(1), b = guid_n(2);
    items_t it;
    uint8_t buf[CD_ITEM_MAX];
    uint32_t seq;

    boot(1);
    CHECK_EQ(create(&a, "alpha", 16, 4, &s), CD_OK);
    CHECK_MEM(&s.guid, &a, 16);
    CHECK(memcmp(s.label, "alpha\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
    CHECK_EQ(s.item_size, 16);
    CHECK_EQ(s.flags, 0);
    CHECK_EQ(s.count, 4);
    CHECK_EQ(s.head_seq, 0);
    CHECK_EQ(s.oldest_seq, 0);
    CHECK_EQ(s.lost, 0);

    /* A 16-byte label has no NUL on the wire and comes back whole. */
    CHECK_EQ(create(&b, "0123456789abcdef", 8, 2, &s), CD_OK);
    CHECK_MEM(s.label, "0123456789abcdef", 16);

    for (uint32_t i = 0; i < 3; i++) {
        size_t n = item_for(i, 16, buf);
        CHECK_EQ(write_item(&a, buf, n, &seq), CD_OK);
        CHECK_EQ(seq, i);
    }

    /* Re-attach keeps the data and says so. */
    CHECK_EQ(create(&a, "alpha", 16, 4, &s), CD_OK);
    CHECK_EQ(s.flags, CD_SRC_F_REATTACHED);
    CHECK_EQ(s.head_seq, 3);
    CHECK_EQ(s.oldest_seq, 0);
    CHECK_EQ(open_src(&a, &s), CD_OK);
    CHECK_EQ(s.flags, 0);
    CHECK_EQ(s.head_seq, 3);

    /* READ removes, oldest first, max_items respected. */
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &a, 2, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 2);
    CHECK_EQ(it.h.first_seq, 0);
    CHECK_EQ(it.h.head_seq, 3);
    CHECK_EQ(it.h.lost, 0);
    check_item(&it, 0, 0, 16);
    check_item(&it, 1, 1, 16);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &a, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 1);
    CHECK_EQ(it.h.first_seq, 2);
    check_item(&it, 0, 2, 16);
    /* Empty: OK, no items, first_seq is the next seq. */
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &a, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 0);
    CHECK_EQ(it.h.first_seq, 3);
    CHECK_EQ(it.h.head_seq, 3);

    /* Overrun: 6 writes into 4 slots lose 2, reported once. */
    for (uint32_t i = 3; i < 9; i++) {
        size_t n = item_for(i, 16, buf);
        CHECK_EQ(write_item(&a, buf, n, &seq), CD_OK);
        CHECK_EQ(seq, i);
    }
    CHECK_EQ(open_src(&a, &s), CD_OK);
    CHECK_EQ(s.head_seq, 9);
    CHECK_EQ(s.oldest_seq, 5);
    CHECK_EQ(s.lost, 2);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &a, 1, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 5);
    CHECK_EQ(it.h.lost, 2);
    check_item(&it, 0, 5, 16);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &a, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 6);
    CHECK_EQ(it.h.lost, 0);
    CHECK_EQ(it.h.n_items, 3);
    for (unsigned i = 0; i < 3; i++) {
        check_item(&it, i, 6 + i, 16);
    }

    /* LIST in slot order; the self ring is not a source and is not listed. */
    cd_wire_page_t pg = {0, 0};
    cd_wire_list_t l;
    CHECK_EQ(call(CD_CMD_SRC_LIST, &pg, sizeof pg), CD_OK);
    memcpy(&l, rsp.p, sizeof l);
    CHECK_EQ(l.total, 2);
    CHECK_EQ(l.n, 2);
    CHECK_EQ(rsp.len, 4 + 2 * sizeof(cd_wire_source_t));
    memcpy(&s, rsp.p + 4, sizeof s);
    CHECK_MEM(&s.guid, &a, 16);
    CHECK_EQ(s.head_seq, 9);
    memcpy(&s, rsp.p + 4 + sizeof s, sizeof s);
    CHECK_MEM(&s.guid, &b, 16);

    /* DESTROY, then the GUID is unknown; its slot is reused. */
    CHECK_EQ(call(CD_CMD_SRC_DESTROY, &a, 16), CD_OK);
    CHECK_EQ(rsp.len, 0);
    CHECK_EQ(open_src(&a, &s), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(call(CD_CMD_SRC_DESTROY, &a, 16), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(call(CD_CMD_SRC_LIST, &pg, sizeof pg), CD_OK);
    memcpy(&l, rsp.p, sizeof l);
    CHECK_EQ(l.total, 1);
    CHECK_EQ(create(&a, "alpha", 16, 4, &s), CD_OK);
    CHECK_EQ(s.flags, 0);
    CHECK_EQ(s.head_seq, 0);
}

TEST(read_fills_frame)
{
    cd_guid_t g = guid_n(3);
    uint8_t buf[CD_ITEM_MAX];
    items_t it;
    size_t per = (PAYLOAD_MAX - sizeof(cd_wire_items_t)) / (2 + CD_ITEM_MAX);

    boot(1);
    CHECK_EQ(create(&g, "big", CD_ITEM_MAX, 10, NULL), CD_OK);
    memset(buf, 0x77, sizeof buf);
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(write_item(&g, buf, CD_ITEM_MAX, NULL), CD_OK);
    }
    uint32_t expect = 0;
    while (expect < 10) {
        CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_OK);
        CHECK_EQ(it.h.first_seq, expect);
        CHECK_EQ(it.h.n_items, 10 - expect < per ? 10 - expect : per);
        CHECK(it.h.n_items > 0);
        for (unsigned i = 0; i < it.h.n_items; i++) {
            CHECK_EQ(it.len[i], CD_ITEM_MAX);
            CHECK_MEM(it.data[i], buf, CD_ITEM_MAX);
        }
        if (it.h.n_items == 0) {
            break;
        }
        expect += it.h.n_items;
    }
    CHECK_EQ(expect, 10);

    /* Many 1-byte items: as many as fit, and max_items caps it. */
    cd_guid_t t = guid_n(4);
    CHECK_EQ(create(&t, "tiny", 1, 1000, NULL), CD_OK);
    for (int i = 0; i < 400; i++) {
        uint8_t b = (uint8_t)i;
        CHECK_EQ(write_item(&t, &b, 1, NULL), CD_OK);
    }
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &t, 7, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 7);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &t, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 7);
    CHECK_EQ(it.h.n_items, (PAYLOAD_MAX - sizeof(cd_wire_items_t)) / 3);
    for (unsigned i = 0; i < it.h.n_items; i++) {
        CHECK_EQ(it.len[i], 1);
        CHECK_EQ(it.data[i][0], (uint8_t)(7 + i));
    }
}

/* The host's capture loop from docs/protocol.md. Collects seqs into got[] and
 * returns how many; *frames gets the number of requests, *gaps the number of
 * replies that started later than asked. hook runs between requests. */
static size_t capture_all(uint8_t cmd, const cd_guid_t *g, size_t item_size, uint32_t *got,
                          size_t cap, int *frames, int *gaps, void (*hook)(int))
{
    items_t it;
    uint32_t end = 0, from = 0;
    size_t n = 0;
    int first = 1;

    *frames = 0;
    *gaps = 0;
    for (;;) {
        CHECK_EQ(capture_req(cmd, g, from, first ? 0 : CD_CAPTURE_F_FROM, &it), CD_OK);
        (*frames)++;
        if (first) {
            end = it.h.head_seq;
            first = 0;
        } else if (it.h.first_seq != from) {
            CHECK((int32_t)(it.h.first_seq - from) > 0);
            (*gaps)++;
        }
        for (unsigned i = 0; i < it.h.n_items && (int32_t)(it.h.first_seq + i - end) < 0; i++) {
            if (item_size) {
                check_item(&it, i, it.h.first_seq + i, item_size);
            }
            if (n < cap) {
                got[n++] = it.h.first_seq + i;
            }
        }
        from = it.h.first_seq + it.h.n_items;
        if ((int32_t)(from - end) >= 0 || *frames > 1000) {
            break;
        }
        if (hook) {
            hook(*frames);
        }
    }
    return n;
}

static cd_guid_t cap_guid;
static uint32_t cap_next_seq;

static void write_cap_items(unsigned n)
{
    uint8_t buf[CD_ITEM_MAX];
    for (unsigned i = 0; i < n; i++) {
        uint32_t seq;
        size_t len = item_for(cap_next_seq, 100, buf);
        CHECK_EQ(write_item(&cap_guid, buf, len, &seq), CD_OK);
        CHECK_EQ(seq, cap_next_seq);
        cap_next_seq++;
    }
}

/* Between the first and second capture requests, overwrite past the point
 * the second one asks for. */
static void overrun_hook(int frames)
{
    if (frames == 1) {
        write_cap_items(30);
    }
}

TEST(capture_pages_and_gaps)
{
    static uint32_t got[256];
    int frames, gaps;
    size_t n;
    items_t it;
    cd_wire_source_t s;

    boot(1);
    cap_guid = guid_n(5);
    cap_next_seq = 0;
    /* 60 items of up to 100 bytes: several frames' worth. */
    CHECK_EQ(create(&cap_guid, "cap", 100, 60, NULL), CD_OK);
    write_cap_items(60);
    n = capture_all(CD_CMD_SRC_CAPTURE, &cap_guid, 100, got, 256, &frames, &gaps, NULL);
    CHECK_EQ(n, 60);
    CHECK(frames >= 3);
    CHECK_EQ(gaps, 0);
    for (size_t i = 0; i < n; i++) {
        CHECK_EQ(got[i], i);
    }

    /* Capture removed nothing. */
    CHECK_EQ(open_src(&cap_guid, &s), CD_OK);
    CHECK_EQ(s.oldest_seq, 0);
    CHECK_EQ(s.head_seq, 60);

    /* Wrap the ring (80 more: oldest 80, lost counted), then capture while 30
     * more overwrite what the second request asks for: a gap, and only items
     * up to the end seen by the first request. */
    write_cap_items(80);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &cap_guid, 0, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 80);
    CHECK_EQ(it.h.head_seq, 140);
    CHECK_EQ(it.h.lost, 80);
    n = capture_all(CD_CMD_SRC_CAPTURE, &cap_guid, 100, got, 256, &frames, &gaps, overrun_hook);
    CHECK_EQ(gaps, 1);
    CHECK(n > 0 && n < 60);
    CHECK_EQ(got[n - 1], 139);
    for (size_t i = 1; i < n; i++) {
        CHECK(got[i] > got[i - 1]);
        if (got[i] != got[i - 1] + 1) {
            CHECK(got[i - 1] < 110 && got[i] == 110); /* the only gap: to the new oldest */
        }
    }

    /* from_seq older than the oldest: start at the oldest; in the future or
     * at the head: nothing, first_seq = head. */
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &cap_guid, 3, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 110);
    CHECK(it.h.n_items > 0);
    check_item(&it, 0, 110, 100);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &cap_guid, 170, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 0);
    CHECK_EQ(it.h.first_seq, 170);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &cap_guid, 5000, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 0);
    CHECK_EQ(it.h.first_seq, 170);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &cap_guid, 165, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 165);
    CHECK_EQ(it.h.n_items, 5);
    for (unsigned i = 0; i < 5; i++) {
        check_item(&it, i, 165 + i, 100);
    }
    /* Without the flag from_seq is ignored. */
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &cap_guid, 165, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 110);

    /* Empty ring: OK, nothing. */
    cd_guid_t e = guid_n(6);
    CHECK_EQ(create(&e, "empty", 4, 4, NULL), CD_OK);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &e, 0, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 0);
    CHECK_EQ(it.h.first_seq, 0);
    CHECK_EQ(it.h.head_seq, 0);
}

TEST(sequence_wrap)
{
    /* Sequence numbers are modulo 2^32: put a ring's cursors just below the
     * wrap (white box: storage is ours) and capture across it. */
    cd_guid_t g = guid_n(7);
    cd_ring_t *r;
    items_t it;
    uint8_t buf[CD_ITEM_MAX];
    uint32_t seq;

    boot(1);
    CHECK_EQ(create(&g, "wrap", 8, 4, NULL), CD_OK);
    r = cd_source_find(&g);
    CHECK(r != NULL);
    if (r == NULL) {
        return;
    }
    r->hdr.head = r->hdr.tail = 0xFFFFFFFDu;
    r->hdr.idx = 0;
    for (uint32_t i = 0; i < 6; i++) {
        uint32_t want = 0xFFFFFFFDu + i;
        size_t n = item_for(want, 8, buf);
        CHECK_EQ(write_item(&g, buf, n, &seq), CD_OK);
        CHECK_EQ(seq, want);
    }
    /* held: FFFFFFFF, 0, 1, 2; head 3; 2 lost */
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 0, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 0xFFFFFFFFu);
    CHECK_EQ(it.h.head_seq, 3);
    CHECK_EQ(it.h.n_items, 4);
    CHECK_EQ(it.h.lost, 2);
    for (unsigned i = 0; i < 4; i++) {
        check_item(&it, i, 0xFFFFFFFFu + i, 8);
    }
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 0xFFFFFFF0u, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 0xFFFFFFFFu); /* older: from the oldest */
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 1, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 1);
    CHECK_EQ(it.h.n_items, 2);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 0xFFFFFFFFu);
    CHECK_EQ(it.h.n_items, 4);
    CHECK_EQ(it.h.lost, 2);
}

TEST(corrupt_item_is_empty_record)
{
    /* A slot whose length field was trashed (stray write) is reported as a
     * zero-length record in its place, keeping seqs consecutive. */
    cd_guid_t g = guid_n(8);
    cd_ring_t *r;
    items_t it;
    uint8_t buf[CD_ITEM_MAX];

    boot(1);
    CHECK_EQ(create(&g, "bad", 8, 4, NULL), CD_OK);
    for (uint32_t i = 0; i < 3; i++) {
        size_t n = item_for(i, 8, buf);
        CHECK_EQ(write_item(&g, buf, n, NULL), CD_OK);
    }
    r = cd_source_find(&g);
    CHECK(r != NULL);
    if (r == NULL) {
        return;
    }
    uint8_t *slot1 = (uint8_t *)(r + 1) + r->hdr.stride;
    slot1[0] = 0xFF; /* length 255 > item_size 8 */
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 0, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 3);
    check_item(&it, 0, 0, 8);
    CHECK_EQ(it.len[1], 0);
    check_item(&it, 2, 2, 8);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 0);
    CHECK_EQ(it.h.n_items, 3);
    CHECK_EQ(it.len[1], 0);
    check_item(&it, 2, 2, 8);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 0);
}

/* ---- a writer interrupt in the middle of a request
 *
 * host_arch/cd_arch.h models interrupts as signals: cd_arch_irq_unlock() at
 * nesting level 0 unblocks them. A SIGUSR1 kept pending and blocked therefore
 * fires exactly at the next unlock inside the code under test. The handler
 * re-pends itself (blocked again via the mask restored on return) until the
 * countdown says this is the n-th unlock, then plays the interrupt.
 */
static volatile int isr_countdown;
static volatile int isr_ran;
static cd_ring_t *isr_ring;
static uint32_t isr_writes;

static void isr_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    if (--isr_countdown > 0) {
        ucontext_t *uc = ctx;
        sigaddset(&uc->uc_sigmask, sig);
        raise(sig);
        return;
    }
    /* The interrupt: a burst of writes that overruns the ring. */
    for (uint32_t i = 0; i < isr_writes; i++) {
        cd_ring_stat_t st;
        uint8_t buf[CD_ITEM_MAX];
        cd_ring_stat(isr_ring, &st);
        size_t n = item_for(st.head_seq, st.item_size, buf);
        CHECK_EQ(cd_ring_write(isr_ring, buf, n, NULL), CD_OK);
    }
    isr_ran = 1;
}

/* Arms the interrupt to fire at the n-th unmask from now, writing `writes`
 * items to r. */
static void isr_after_unlocks(int n, cd_ring_t *r, uint32_t writes)
{
    struct sigaction sa;
    sigset_t s;

    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = isr_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    isr_countdown = n;
    isr_ran = 0;
    isr_ring = r;
    isr_writes = writes;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_BLOCK, &s, NULL);
    raise(SIGUSR1);
}

/* A source of 8 slots of 8 bytes holding seqs 0..7. */
static cd_ring_t *full_ring(unsigned n, cd_guid_t *g)
{
    uint8_t buf[8];
    *g = guid_n(n);
    CHECK_EQ(create(g, "isr", 8, 8, NULL), CD_OK);
    for (uint32_t i = 0; i < 8; i++) {
        size_t len = item_for(i, 8, buf);
        CHECK_EQ(write_item(g, buf, len, NULL), CD_OK);
    }
    return cd_source_find(g);
}

TEST(overrun_during_request)
{
    cd_guid_t g;
    cd_ring_t *r;
    items_t it;

    boot(1);

    /* CAPTURE: the writer strikes right after the device's snapshot; the
     * items it overwrote are skipped and the reply starts at the new oldest. */
    r = full_ring(60, &g);
    isr_after_unlocks(1, r, 5);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 0, 0, &it), CD_OK);
    CHECK(isr_ran);
    CHECK_EQ(it.h.first_seq, 5);
    CHECK_EQ(it.h.head_seq, 8); /* the snapshot's end */
    CHECK_EQ(it.h.n_items, 3);
    for (unsigned i = 0; i < it.h.n_items && i < 3; i++) {
        check_item(&it, i, 5 + i, 8);
    }

    /* CAPTURE: the writer strikes after the first item was copied; a gap
     * cannot be expressed inside a reply, so it ends there and the next
     * request shows the gap. */
    r = full_ring(61, &g);
    isr_after_unlocks(2, r, 5);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 0, 0, &it), CD_OK);
    CHECK(isr_ran);
    CHECK_EQ(it.h.first_seq, 0);
    CHECK_EQ(it.h.n_items, 1);
    check_item(&it, 0, 0, 8);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 1, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 5);
    CHECK_EQ(it.h.n_items, 8);

    /* READ: the writer strikes after the first item was removed. The device
     * must not remove the next (non-consecutive) item into this reply: it
     * stops, and the next READ reports the loss. */
    r = full_ring(62, &g);
    isr_after_unlocks(1, r, 5);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_OK);
    CHECK(isr_ran);
    CHECK_EQ(it.h.first_seq, 0);
    CHECK_EQ(it.h.n_items, 1);
    CHECK_EQ(it.h.lost, 0);
    check_item(&it, 0, 0, 8);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 5);
    CHECK_EQ(it.h.lost, 4);
    CHECK_EQ(it.h.n_items, 8);
    for (unsigned i = 0; i < it.h.n_items && i < 8; i++) {
        check_item(&it, i, 5 + i, 8);
    }
}

TEST(self_ring)
{
    cd_wire_source_t s;
    cd_guid_t other = guid_n(9);
    items_t it;
    int frames, gaps;
    uint32_t got[64];

    boot(1);
    for (uint32_t i = 0; i < 12; i++) { /* 8 slots: 4 overwritten */
        uint8_t buf[SELF_ITEM];
        size_t n = item_for(i, SELF_ITEM, buf);
        CHECK_EQ(cd_self_write(buf, n), CD_OK);
    }

    /* SELF_CAPTURE ignores the GUID. */
    CHECK_EQ(capture_req(CD_CMD_SELF_CAPTURE, &other, 0, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 4);
    CHECK_EQ(it.h.head_seq, 12);
    CHECK_EQ(it.h.lost, 4);
    CHECK_EQ(it.h.n_items, 8);
    for (unsigned i = 0; i < 8; i++) {
        check_item(&it, i, 4 + i, SELF_ITEM);
    }
    CHECK_EQ(capture_all(CD_CMD_SELF_CAPTURE, &other, SELF_ITEM, got, 64, &frames, &gaps, NULL),
             8);
    CHECK_EQ(capture_req(CD_CMD_SELF_CAPTURE, &other, 10, CD_CAPTURE_F_FROM, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 10);
    CHECK_EQ(it.h.n_items, 2);

    /* The self ring answers to its GUID, flagged SELF. */
    CHECK_EQ(open_src(&self_guid, &s), CD_OK);
    CHECK_EQ(s.flags, CD_SRC_F_SELF);
    CHECK_EQ(s.item_size, SELF_ITEM);
    CHECK_EQ(s.count, SELF_COUNT);
    CHECK_EQ(s.head_seq, 12);
    CHECK_EQ(s.oldest_seq, 4);
    CHECK(memcmp(s.label, "self", 5) == 0);
    CHECK_EQ(create(&self_guid, "self", SELF_ITEM, SELF_COUNT, &s), CD_OK);
    CHECK_EQ(s.flags, CD_SRC_F_SELF | CD_SRC_F_REATTACHED);
    CHECK_EQ(s.head_seq, 12);
    CHECK_EQ(create(&self_guid, "self", SELF_ITEM, SELF_COUNT + 1, &s), CD_E_GEOMETRY);
    CHECK_EQ(call(CD_CMD_SRC_DESTROY, &self_guid, 16), CD_E_INVAL);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &self_guid, 0, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 8);

    /* SELF_READ removes. */
    CHECK_EQ(read_req(CD_CMD_SELF_READ, &other, 3, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 4);
    CHECK_EQ(it.h.lost, 4);
    CHECK_EQ(it.h.n_items, 3);
    for (unsigned i = 0; i < 3; i++) {
        check_item(&it, i, 4 + i, SELF_ITEM);
    }
    CHECK_EQ(read_req(CD_CMD_SELF_READ, &other, 0, &it), CD_OK);
    CHECK_EQ(it.h.first_seq, 7);
    CHECK_EQ(it.h.lost, 0);
    CHECK_EQ(it.h.n_items, 5);
    CHECK_EQ(read_req(CD_CMD_SELF_READ, &other, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 0);
    CHECK_EQ(it.h.first_seq, 12);

    /* A host write by GUID lands in the self ring too. */
    uint32_t seq;
    CHECK_EQ(write_item(&self_guid, "hi", 2, &seq), CD_OK);
    CHECK_EQ(seq, 12);
    CHECK_EQ(read_req(CD_CMD_SELF_READ, &other, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 1);
    CHECK_EQ(it.len[0], 2);
}

TEST(list_paging)
{
    cd_wire_page_t pg = {0, 0};
    cd_wire_list_t l;
    cd_wire_source_t s;
    size_t per = (PAYLOAD_MAX - sizeof l) / sizeof s;
    unsigned seen = 0;

    boot(1);
    for (unsigned i = 0; i < SRC_SLOTS; i++) {
        cd_guid_t g = guid_n(100 + i);
        CHECK_EQ(create(&g, "s", 4, 2, NULL), CD_OK);
    }
    while (seen < SRC_SLOTS) {
        pg.start = (uint16_t)seen;
        CHECK_EQ(call(CD_CMD_SRC_LIST, &pg, sizeof pg), CD_OK);
        memcpy(&l, rsp.p, sizeof l);
        CHECK_EQ(l.total, SRC_SLOTS);
        CHECK_EQ(l.n, SRC_SLOTS - seen < per ? SRC_SLOTS - seen : per);
        CHECK_EQ(rsp.len, sizeof l + l.n * sizeof s);
        for (unsigned i = 0; i < l.n; i++) {
            cd_guid_t g = guid_n(100 + seen + i);
            memcpy(&s, rsp.p + sizeof l + i * sizeof s, sizeof s);
            CHECK_MEM(&s.guid, &g, 16);
            CHECK_EQ(s.flags, 0);
        }
        if (l.n == 0) {
            break;
        }
        seen += l.n;
    }
    CHECK_EQ(seen, SRC_SLOTS);
    pg.start = SRC_SLOTS + 5;
    CHECK_EQ(call(CD_CMD_SRC_LIST, &pg, sizeof pg), CD_OK);
    memcpy(&l, rsp.p, sizeof l);
    CHECK_EQ(l.total, SRC_SLOTS);
    CHECK_EQ(l.n, 0);
    CHECK_EQ(rsp.len, sizeof l);
}

TEST(triage_paging)
{
    cd_wire_page_t pg = {0, 0};
    cd_wire_list_t l;
    cd_wire_range_t w;
    size_t per = (PAYLOAD_MAX - sizeof l) / sizeof w;
    unsigned seen = 0;

    boot(1);
    CHECK_EQ(call(CD_CMD_TRIAGE_LIST, &pg, sizeof pg), CD_OK);
    memcpy(&l, rsp.p, sizeof l);
    CHECK_EQ(l.total, 0);
    CHECK_EQ(l.n, 0);
    for (unsigned i = 0; i < TRIAGE_SLOTS; i++) {
        CHECK_EQ(cd_triage_add(triage_area + i, 1 + i), CD_OK);
    }
    while (seen < TRIAGE_SLOTS) {
        pg.start = (uint16_t)seen;
        CHECK_EQ(call(CD_CMD_TRIAGE_LIST, &pg, sizeof pg), CD_OK);
        memcpy(&l, rsp.p, sizeof l);
        CHECK_EQ(l.total, TRIAGE_SLOTS);
        CHECK_EQ(l.n, TRIAGE_SLOTS - seen < per ? TRIAGE_SLOTS - seen : per);
        CHECK_EQ(rsp.len, sizeof l + l.n * sizeof w);
        for (unsigned i = 0; i < l.n; i++) {
            memcpy(&w, rsp.p + sizeof l + i * sizeof w, sizeof w);
            CHECK_EQ(w.addr, (uint32_t)(uintptr_t)(triage_area + seen + i));
            CHECK_EQ(w.len, 1 + seen + i);
        }
        if (l.n == 0) {
            break;
        }
        seen += l.n;
    }
    CHECK_EQ(seen, TRIAGE_SLOTS);
}

TEST(error_statuses)
{
    static uint8_t p[CD_FRAME_MAX];
    cd_guid_t g = guid_n(10), zero;
    cd_wire_source_t s;
    items_t it;
    static const struct {
        uint8_t cmd;
        size_t len;
        int extra_ok; /* longer payloads allowed (SRC_WRITE) */
    } sizes[] = {
        {CD_CMD_INFO, 0, 0},
        {CD_CMD_RESET, 0, 0},
        {CD_CMD_SRC_CREATE, sizeof(cd_wire_create_t), 0},
        {CD_CMD_SRC_OPEN, 16, 0},
        {CD_CMD_SRC_WRITE, 16, 1},
        {CD_CMD_SRC_READ, sizeof(cd_wire_read_t), 0},
        {CD_CMD_SRC_CAPTURE, sizeof(cd_wire_capture_t), 0},
        {CD_CMD_SRC_DESTROY, 16, 0},
        {CD_CMD_SRC_LIST, sizeof(cd_wire_page_t), 0},
        {CD_CMD_SELF_READ, sizeof(cd_wire_read_t), 0},
        {CD_CMD_SELF_CAPTURE, sizeof(cd_wire_capture_t), 0},
        {CD_CMD_TRIAGE_LIST, sizeof(cd_wire_page_t), 0},
    };

    boot(1);
    memset(&zero, 0, sizeof zero);
    memset(p, 0x11, sizeof p);

    /* MALFORMED: one byte short, one byte long, empty, and the largest. */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        if (sizes[i].len > 0) {
            CHECK_EQ(call(sizes[i].cmd, p, sizes[i].len - 1), CD_E_MALFORMED);
            CHECK_EQ(call(sizes[i].cmd, p, 0), CD_E_MALFORMED);
        }
        if (!sizes[i].extra_ok) {
            CHECK_EQ(call(sizes[i].cmd, p, sizes[i].len + 1), CD_E_MALFORMED);
            CHECK_EQ(call(sizes[i].cmd, p, PAYLOAD_MAX), CD_E_MALFORMED);
        }
    }

    /* UNKNOWN_CMD: gaps in the table, the ends of the request range. */
    {
        static const uint8_t unknown[] = {0x00, 0x03, 0x0F, 0x17, 0x22, 0x2F, 0x31, 0x7F};
        for (size_t i = 0; i < sizeof unknown; i++) {
            CHECK_EQ(call(unknown[i], NULL, 0), CD_E_UNKNOWN_CMD);
            CHECK_EQ(call(unknown[i], p, 40), CD_E_UNKNOWN_CMD);
        }
    }

    /* UNKNOWN_SOURCE through every command that takes a GUID. */
    CHECK_EQ(open_src(&g, &s), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(open_src(&zero, &s), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(write_item(&g, "a", 1, NULL), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(capture_req(CD_CMD_SRC_CAPTURE, &g, 0, 0, &it), CD_E_UNKNOWN_SOURCE);
    CHECK_EQ(call(CD_CMD_SRC_DESTROY, &g, 16), CD_E_UNKNOWN_SOURCE);

    /* INVAL: zero GUID, zero item size or count, empty write. */
    CHECK_EQ(create(&zero, "z", 4, 4, NULL), CD_E_INVAL);
    CHECK_EQ(create(&g, "z", 0, 4, NULL), CD_E_INVAL);
    CHECK_EQ(create(&g, "z", 4, 0, NULL), CD_E_INVAL);
    CHECK_EQ(create(&g, "g", 16, 4, NULL), CD_OK);
    CHECK_EQ(write_item(&g, "", 0, NULL), CD_E_INVAL);

    /* ITEM_TOO_LARGE: write longer than the item; create above item_max. */
    CHECK_EQ(write_item(&g, p, 17, NULL), CD_E_ITEM_TOO_LARGE);
    CHECK_EQ(write_item(&g, p, PAYLOAD_MAX - 16, NULL), CD_E_ITEM_TOO_LARGE);
    CHECK_EQ(write_item(&g, p, 16, NULL), CD_OK);
    cd_guid_t h = guid_n(11);
    CHECK_EQ(create(&h, "h", CD_ITEM_MAX + 1, 1, NULL), CD_E_ITEM_TOO_LARGE);

    /* RING_TOO_LARGE: count * stride > ring_max_bytes, including overflow. */
    CHECK_EQ(create(&h, "h", 4, SRC_MAX_BYTES / CD_RING_STRIDE(4) + 1, NULL), CD_E_RING_TOO_LARGE);
    CHECK_EQ(create(&h, "h", 4, 0xFFFFFFFFu, NULL), CD_E_RING_TOO_LARGE);
    CHECK_EQ(create(&h, "h", 4, SRC_MAX_BYTES / CD_RING_STRIDE(4), NULL), CD_OK);

    /* GEOMETRY: same GUID, other item size or count. */
    CHECK_EQ(create(&g, "g", 8, 4, NULL), CD_E_GEOMETRY);
    CHECK_EQ(create(&g, "g", 16, 5, NULL), CD_E_GEOMETRY);

    /* SOURCE_LIMIT: every slot taken (two are). */
    for (unsigned i = 2; i < SRC_SLOTS; i++) {
        cd_guid_t k = guid_n(200 + i);
        CHECK_EQ(create(&k, "k", 4, 1, NULL), CD_OK);
    }
    cd_guid_t k = guid_n(199);
    CHECK_EQ(create(&k, "k", 4, 1, NULL), CD_E_SOURCE_LIMIT);
    CHECK_EQ(create(&g, "g", 16, 4, &s), CD_OK); /* re-attach needs no slot */
    CHECK_EQ(s.flags, CD_SRC_F_REATTACHED);
}

/* ---- robustness of the receiver */

static size_t good_info(uint8_t *w)
{
    return make_wire(w, CD_CMD_INFO, 0x42, NULL, 0);
}

/* Sends a good INFO and checks it is answered. */
static void expect_answered(void)
{
    uint8_t w[32];
    size_t n = good_info(w);
    fake_tx_clear();
    feed(w, n);
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(take_responses(&rsp, 1), 1);
    CHECK_EQ(rsp.cmd, 0x81);
    CHECK_EQ(rsp.id, 0x42);
    CHECK_EQ(rsp.status, CD_OK);
}

TEST(robust_garbage_and_bad_frames)
{
    uint8_t w[CD_FRAME_MAX * 3], raw[CD_FRAME_MAX * 2];
    uint32_t f0, e0, f1, e1;
    size_t n;
    static const char text[] = "boot: hello\r\n[ERR] \x01\x02\x03 log line";

    boot(1);
    counters(&f0, &e0);

    /* Text with no delimiter glued to a frame: that frame is lost (1 error). */
    n = good_info(w);
    fake_tx_clear();
    feed((const uint8_t *)text, sizeof text - 1);
    feed_expect_silence(w, n);
    expect_answered();
    /* Garbage, delimiter, frame: the frame is answered (1 error for the garbage). */
    feed_expect_silence((const uint8_t *)text, sizeof text); /* includes its NUL */
    expect_answered();
    /* Idle delimiters between frames cost nothing. */
    feed_expect_silence((const uint8_t *)"\0\0\0\0", 4);
    expect_answered();
    counters(&f1, &e1);
    CHECK_EQ(e1 - e0, 2);
    CHECK_EQ(f1 - f0, 3 + 1); /* three answered + the first counters() INFO */

    /* Truncated frames: cut anywhere and terminated (each 1 error, no answer). */
    e0 = e1;
    f0 = f1;
    n = make_wire(w, CD_CMD_SRC_LIST, 7, "\0\0\0\0", 4);
    for (size_t cut = 1; cut < n - 1; cut++) {
        uint8_t t[64];
        memcpy(t, w, cut);
        t[cut] = 0;
        feed_expect_silence(t, cut + 1);
        expect_answered();
    }
    counters(&f1, &e1);
    CHECK_EQ(e1 - e0, n - 2);

    /* Bad CRC: every bit of the CRC, and a bit in the body. */
    e0 = e1;
    for (int bit = 0; bit < 40; bit++) {
        size_t len = make_raw(raw, CD_CMD_INFO, 9, NULL, 0);
        if (bit < 32) {
            raw[4 + bit / 8] ^= (uint8_t)(1u << (bit % 8));
        } else {
            raw[1] ^= (uint8_t)(1u << (bit - 32));
        }
        n = cobs_enc(raw, len, w);
        feed_expect_silence(w, n);
    }
    expect_answered();
    counters(&f1, &e1);
    CHECK_EQ(e1 - e0, 40);

    /* Corruption inside the encoding (a byte becomes 0x00 or changes). */
    e0 = e1;
    n = make_wire(w, CD_CMD_SRC_LIST, 7, "\0\0\0\0", 4);
    {
        uint8_t t[64];
        memcpy(t, w, n);
        t[3] = 0; /* splits it: two short frames */
        feed_expect_silence(t, n);
        memcpy(t, w, n);
        t[5] ^= 0x40;
        feed_expect_silence(t, n);
    }
    expect_answered();
    counters(&f1, &e1);
    CHECK_EQ(e1 - e0, 3);

    /* Too short (valid COBS, 7 bytes) and too long (CD_FRAME_MAX + 1, with a
     * valid CRC) are dropped; exactly CD_FRAME_MAX is accepted. */
    e0 = e1;
    {
        uint8_t t[7] = {1, 2, 3, 4, 5, 6, 7};
        n = cobs_enc(t, sizeof t, w);
        feed_expect_silence(w, n);
    }
    {
        static uint8_t pl[CD_FRAME_MAX];
        memset(pl, 0xAB, sizeof pl);
        n = make_wire(w, CD_CMD_INFO, 1, pl, CD_FRAME_MAX - 7);
        feed_expect_silence(w, n);
        CHECK_EQ(call(CD_CMD_INFO, pl, PAYLOAD_MAX), CD_E_MALFORMED);
        /* far too long: thousands of bytes */
        for (int i = 0; i < 5000; i++) {
            cd_proto_rx_byte(0x5A);
        }
        feed_expect_silence((const uint8_t *)"", 1);
    }
    expect_answered();
    counters(&f1, &e1);
    CHECK_EQ(e1 - e0, 3);

    /* A response frame (echo of our own output) is not answered. */
    e0 = e1;
    n = make_wire(w, CD_CMD_INFO | CD_CMD_RESPONSE, 3, NULL, 0);
    feed_expect_silence(w, n);
    expect_answered();
    counters(&f1, &e1);
    CHECK_EQ(e1 - e0, 1);
}

TEST(robust_bytes_while_pending)
{
    uint8_t a[32], b[32], c[32];
    size_t na, nb, nc;
    uint32_t f0, e0, f1, e1;
    rsp_t r[4];

    boot(1);
    counters(&f0, &e0);
    na = make_wire(a, CD_CMD_INFO, 0xA, NULL, 0);
    nb = make_wire(b, CD_CMD_INFO, 0xB, NULL, 0);
    nc = make_wire(c, CD_CMD_INFO, 0xC, NULL, 0);

    /* A waits; B arrives whole and is dropped (1 error); only A is answered. */
    fake_tx_clear();
    feed(a, na);
    feed(b, nb);
    feed((const uint8_t *)"\0\0", 2); /* idle delimiters while pending: free */
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(cd_proto_poll(), 0);
    CHECK_EQ(take_responses(r, 4), 1);
    CHECK_EQ(r[0].id, 0xA);

    /* A waits; the first half of B arrives, A is answered, the rest of B
     * arrives: B's tail must not be taken for a frame (1 error), C works. */
    fake_tx_clear();
    feed(a, na);
    feed(b, 3);
    CHECK_EQ(cd_proto_poll(), 1);
    feed(b + 3, nb - 3);
    CHECK_EQ(cd_proto_poll(), 0);
    feed(c, nc);
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(take_responses(r, 4), 2);
    CHECK_EQ(r[0].id, 0xA);
    CHECK_EQ(r[1].id, 0xC);

    /* Same, but B's tail is only its delimiter. */
    fake_tx_clear();
    feed(a, na);
    feed(b, nb - 1);
    CHECK_EQ(cd_proto_poll(), 1);
    feed(b + nb - 1, 1);
    CHECK_EQ(cd_proto_poll(), 0);
    feed(c, nc);
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(take_responses(r, 4), 2);
    CHECK_EQ(r[1].id, 0xC);

    /* A request delivered in pieces with polls in between. */
    fake_tx_clear();
    for (size_t i = 0; i < nc; i++) {
        CHECK_EQ(cd_proto_poll(), 0);
        cd_proto_rx_byte(c[i]);
    }
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(take_responses(r, 4), 1);

    counters(&f1, &e1);
    CHECK_EQ(e1 - e0, 3);
    CHECK_EQ(f1 - f0, 6 + 1); /* A three times, C three times, the first counters() */
}

TEST(fuzz_requests)
{
    /* Random well-formed frames (good CRC) with random commands, lengths and
     * payloads, interleaved with random junk: the device answers each good
     * request exactly once with a well-formed response and never misbehaves
     * (ASan/UBSan). */
    static uint8_t pl[CD_FRAME_MAX], w[CD_FRAME_MAX * 3];
    static const uint8_t cmds[] = {0x01, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15,
                                   0x16, 0x20, 0x21, 0x30, 0x55, 0x00, 0x7F};
    static const size_t lens[] = {0, 1, 4, 15, 16, 17, 20, 24, 40, 41, 52, 300, PAYLOAD_MAX};
    uint32_t x = 0xF00DCAFEu;
    rsp_t r[2];

    boot(1);
    /* a few real sources so random GUID-based commands sometimes hit */
    for (unsigned i = 0; i < 4; i++) {
        cd_guid_t g = guid_n(50 + i);
        CHECK_EQ(create(&g, "f", (uint16_t)(1 + i * 40), 8 + i, NULL), CD_OK);
    }
    for (int round = 0; round < 20000; round++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint8_t cmd = cmds[x % sizeof cmds];
        size_t len = lens[(x >> 8) % (sizeof lens / sizeof lens[0])];
        for (size_t i = 0; i < len; i++) {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            pl[i] = (uint8_t)x;
        }
        if (len >= 16 && (x & 3) != 0) {
            cd_guid_t g = guid_n(50 + (x >> 4) % 4);
            memcpy(pl, &g, 16); /* an existing source */
        }
        if (len >= 20 && (x & 0x30) == 0) {
            pl[16] = pl[17] = 0; /* small item sizes / from_seq */
        }
        if (cmd == CD_CMD_SRC_DESTROY && (x & 0xC0) != 0) {
            cmd = CD_CMD_SRC_OPEN; /* keep the sources around most of the time */
        }
        if ((x >> 24) % 8 == 0) {
            /* junk, then a delimiter */
            for (unsigned i = 0; i < (x >> 12) % 64; i++) {
                cd_proto_rx_byte((uint8_t)(i * 0x3D + x));
            }
            cd_proto_rx_byte(0);
            /* Junk can decode to a frame of plausible length; like a host
             * waiting out its timeout, let the device drop it first. */
            fake_tx_clear();
            (void)cd_proto_poll();
            CHECK_EQ(fake_tx_len, 0);
        }
        size_t n = make_wire(w, cmd, (uint8_t)round, pl, len);
        fake_tx_clear();
        feed(w, n);
        CHECK_EQ(cd_proto_poll(), 1);
        CHECK_EQ(take_responses(r, 2), 1);
        CHECK_EQ(r[0].cmd, cmd | 0x80);
        CHECK_EQ(r[0].id, (uint8_t)round);
        if (unit_failed_checks > 20) {
            break;
        }
    }
    expect_answered();
}


/* ---- line noise, duplicates, requests completed while sending (issue 11) */

TEST(noise_then_leading_delimiter)
{
    /* Noise that ends inside a COBS group (here a 0xFF code promising 254
     * bytes) swallows a request sent right after it: the device takes the
     * request's bytes for the rest of the garbage and drops both. A leading
     * 0x00, as the host sends before every request, ends the garbage first. */
    static const uint8_t noise[] = {0xFF, 0x41, 0x42, 0x43, 0x0d, 0x0a};
    uint8_t w[40];
    size_t n = make_wire(w + 1, CD_CMD_INFO, 0x31, NULL, 0);
    uint32_t f0, e0, f1, e1;
    rsp_t r[2];

    boot(1);
    counters(&f0, &e0);
    fake_tx_clear();
    feed(noise, sizeof noise);
    feed(w + 1, n);               /* no delimiter first: lost with the noise */
    (void)cd_proto_poll();
    CHECK_EQ(fake_tx_len, 0);

    w[0] = 0;
    for (unsigned cut = 1; cut <= sizeof noise; cut++) {
        uint8_t id = (uint8_t)(0x40 + cut);
        n = make_wire(w + 1, CD_CMD_INFO, id, NULL, 0);
        fake_tx_clear();
        feed(noise, cut);          /* a partial frame of any length ... */
        feed(w, n + 1);            /* ... then 0x00 and the request */
        CHECK_EQ(cd_proto_poll(), 1);
        CHECK_EQ(take_responses(r, 2), 1);
        CHECK_EQ(r[0].id, id);
        CHECK_EQ(r[0].status, CD_OK);
    }
    n = make_wire(w + 1, CD_CMD_INFO, 0x3F, NULL, 0);
    /* A leading 0x00 on a clean line is not a frame and costs nothing. */
    fake_tx_clear();
    feed(w, n + 1);
    CHECK_EQ(cd_proto_poll(), 1);
    counters(&f1, &e1);
    CHECK_EQ(f1 - f0, 1 + sizeof noise + 1); /* the first counters(), the INFOs */
    CHECK_EQ(e1 - e0, 1 + sizeof noise);     /* noise+request, then each partial frame */
}

/* Sends wire bytes (a whole request) and returns the response bytes. */
static size_t exchange(const uint8_t *w, size_t n, uint8_t *out)
{
    fake_tx_clear();
    feed(w, n);
    CHECK_EQ(cd_proto_poll(), 1);
    CHECK_EQ(cd_proto_poll(), 0);
    memcpy(out, fake_tx, fake_tx_len);
    return fake_tx_len;
}

TEST(duplicate_requests_execute_once)
{
    static uint8_t w[CD_FRAME_MAX * 2], a[CD_FRAME_MAX * 2], b[CD_FRAME_MAX * 2];
    static uint8_t p[64];
    cd_guid_t g = guid_n(77);
    cd_wire_source_t src;
    cd_wire_read_t rd;
    items_t it;
    size_t n, na, nb;
    rsp_t r[2];

    boot(1);
    CHECK_EQ(create(&g, "dup", 16, 8, NULL), CD_OK);

    /* WRITE twice with the same id and bytes: one item, the same answer. */
    memcpy(p, &g, 16);
    memcpy(p + 16, "hello", 5);
    n = make_wire(w, CD_CMD_SRC_WRITE, 0x40, p, 21);
    na = exchange(w, n, a);
    nb = exchange(w, n, b);
    CHECK_EQ(na, nb);
    CHECK_MEM(a, b, na);
    CHECK_EQ(open_src(&g, &src), CD_OK);
    CHECK_EQ(src.head_seq, 1);

    /* Garbage and a dropped frame between the copies do not forget the request. */
    feed_expect_silence((const uint8_t *)"\x05junk\0", 6);
    n = make_wire(w, CD_CMD_SRC_WRITE, 0x41, p, 21);
    na = exchange(w, n, a);
    feed_expect_silence((const uint8_t *)"\x03\x01\x01\0", 4);
    nb = exchange(w, n, b);
    CHECK_EQ(na, nb);
    CHECK_MEM(a, b, na);
    CHECK_EQ(open_src(&g, &src), CD_OK);
    CHECK_EQ(src.head_seq, 2);

    /* Same id, other bytes: a new request (the host never does this, but the
     * id alone must not decide). Same bytes, other id: new as well. */
    n = make_wire(w, CD_CMD_SRC_WRITE, 0x41, p, 20);
    exchange(w, n, a);
    CHECK_EQ(take_responses(r, 2), 1);
    CHECK_EQ(r[0].status, CD_OK);
    n = make_wire(w, CD_CMD_SRC_WRITE, 0x42, p, 20);
    exchange(w, n, a);
    CHECK_EQ(open_src(&g, &src), CD_OK);
    CHECK_EQ(src.head_seq, 4);

    /* READ repeated: the same items again, nothing more removed. */
    memset(&rd, 0, sizeof rd);
    rd.guid = g;
    rd.max_items = 2;
    n = make_wire(w, CD_CMD_SRC_READ, 0x50, &rd, sizeof rd);
    na = exchange(w, n, a);
    nb = exchange(w, n, b);
    CHECK_EQ(na, nb);
    CHECK_MEM(a, b, na);
    CHECK_EQ(read_req(CD_CMD_SRC_READ, &g, 0, &it), CD_OK);
    CHECK_EQ(it.h.n_items, 2);
    CHECK_EQ(it.h.first_seq, 2);
    CHECK_EQ(it.h.lost, 0);

    /* RESET and FAULT repeated: answered, not performed again. */
    n = make_wire(w, CD_CMD_RESET, 0x60, NULL, 0);
    fake_resets = 0;
    exchange(w, n, a);
    exchange(w, n, b);
    CHECK_EQ(fake_resets, 1);
#if CD_ENABLE_FAULT_CMDS
    cd_wire_fault_t fk = {CD_FAULT_BAD_READ};
    n = make_wire(w, CD_CMD_FAULT, 0x61, &fk, sizeof fk);
    fake_fault_kind = 0;
    exchange(w, n, a);
    CHECK_EQ(fake_fault_kind, CD_FAULT_BAD_READ);
    fake_fault_kind = 0;
    exchange(w, n, b);
    CHECK_EQ(fake_fault_kind, 0);
#endif

    /* INFO says so. */
    cd_wire_info_t info;
    get_info(&info);
    CHECK(info.caps & CD_CAP_DEDUP);
}

static const uint8_t *tx_hook_bytes;
static size_t tx_hook_len;

/* fake_tx_hook: the RX interrupt delivers a whole request while the device
 * is still sending (a preempted poll task, a fast USB CDC link). */
static void rx_during_tx(const uint8_t *buf, size_t len)
{
    (void)buf;
    (void)len;
    for (size_t i = 0; i < tx_hook_len; i++) {
        cd_proto_rx_byte(tx_hook_bytes[i]);
    }
    tx_hook_len = 0;
}

TEST(request_completed_while_sending_is_answered)
{
    uint8_t a[40], b[40];
    size_t na = make_wire(a, CD_CMD_INFO, 0x70, NULL, 0);
    size_t nb = make_wire(b, CD_CMD_INFO, 0x71, NULL, 0);
    uint32_t f0, e0, f1, e1;
    rsp_t r[3];

    boot(1);
    counters(&f0, &e0);
    fake_tx_clear();
    feed(a, na);
    tx_hook_bytes = b;
    tx_hook_len = nb;
    fake_tx_hook = rx_during_tx;
    CHECK_EQ(cd_proto_poll(), 1);  /* answers A; B completes inside cd_port_tx() */
    fake_tx_hook = NULL;
    CHECK_EQ(tx_hook_len, 0);
    CHECK_EQ(cd_proto_poll(), 1);  /* B was kept */
    CHECK_EQ(cd_proto_poll(), 0);
    CHECK_EQ(take_responses(r, 3), 2);
    CHECK_EQ(r[0].id, 0x70);
    CHECK_EQ(r[1].id, 0x71);
    counters(&f1, &e1);
    CHECK_EQ(f1 - f0, 3);
    CHECK_EQ(e1 - e0, 0);
}

int main(void)
{
    RUN(info_fields);
    RUN(info_worked_example);
    RUN(reset_after_response);
    RUN(source_lifecycle);
    RUN(read_fills_frame);
    RUN(capture_pages_and_gaps);
    RUN(sequence_wrap);
    RUN(corrupt_item_is_empty_record);
    RUN(overrun_during_request);
    RUN(self_ring);
    RUN(list_paging);
    RUN(triage_paging);
    RUN(error_statuses);
    RUN(robust_garbage_and_bad_frames);
    RUN(robust_bytes_while_pending);
    RUN(fuzz_requests);
    RUN(noise_then_leading_delimiter);
    RUN(duplicate_requests_execute_once);
    RUN(request_completed_while_sending_is_answered);
    return UNIT_END();
}
