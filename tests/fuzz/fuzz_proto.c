/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the device side of the serial protocol (cd_proto.c over
 * cd_frame.c, cd_core.c, cd_ring.c, cd_dump.c), fed byte by byte as a UART
 * interrupt would feed it.
 *
 * Each input starts from a fresh device (cd_init over zeroed storage, a flash
 * partition holding one crash dump, cd_proto_reset()), and state is kept across
 * the records of the input. An input is a sequence of records:
 *
 *   op = byte; kind = op & 3
 *   kind 0  noise:     n = byte, then n raw bytes fed as they are; with op & 0x08
 *                      they are held back and fed from inside cd_port_tx() while
 *                      the device sends its next response (the RX interrupt
 *                      completing a request during a send), or before the next
 *                      clean request if no response comes first
 *   kind 1  request:   L = byte (payload bytes, x4 if op & 0x08), cmd, id, tag lo,
 *                      tag hi, payload; the harness appends the CRC, COBS-encodes,
 *                      and feeds 0x00 + encoding + 0x00 (as the host does)
 *   kind 2  repeat:    the last request record's bytes again (a host retry or a
 *                      line that duplicates a frame)
 *   kind 3  damaged:   a request as kind 1, then one byte of the wire flipped at
 *                      position (byte) before it is fed
 *   op & 0x04: poll only after the whole record (bytes pile up while a request
 *              waits, as with a busy thread), else after every byte.
 *   op & 0x10: (kind 1) no leading 0x00.
 *
 * Oracles (abort on violation), checked after every poll:
 *   - every response the device sends decodes (COBS, length 8..CD_FRAME_MAX,
 *     CRC) and is well formed: bit 7 set in cmd, status a known code, empty
 *     payload for an error, payload length right for the command;
 *   - a clean request (kind 1 with its 0x00, polled per byte, or kind 2 of one)
 *     gets exactly one response, with its cmd and id, or none if it is not a
 *     request (bit 7 set) or too long;
 *   - a repeat of the last request executed gets the byte-identical response
 *     and changes nothing: storage, .noinit crash area and flash unchanged;
 *   - the self ring and every data source pass cd_ring_check();
 *   - at the end, every frame the device received (bytes ended by a 0x00) was
 *     either answered or counted as dropped: INFO's rx_frames + rx_errors
 *     equals the harness's count, so no request is lost silently (as one
 *     completed during cd_port_tx() once was).
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_crash.h"
#include "cd_internal.h"
#include "crashdump/crashdump.h"
#include "fake_port.h"

#define SELF_ITEM 32u
#define SELF_COUNT 8u
#define SRC_SLOTS 6u
#define SRC_MAX_BYTES 2048u
#define TRIAGE_SLOTS 40u
#define PAYLOAD_MAX (CD_FRAME_MAX - CD_FRAME_OVERHEAD)
#define FLASH_SIZE (6u * 1024u)   /* the dump partition: 3 slots of 2 KiB */

#define FUZZ_CHECK(c)                                                              \
    do {                                                                           \
        if (!(c)) {                                                                \
            fprintf(stderr, "fuzz_proto: %s:%d: oracle failed: %s\n", __FILE__,   \
                    __LINE__, #c);                                                 \
            abort();                                                               \
        }                                                                          \
    } while (0)

static uint8_t storage[CD_STORAGE_SIZE(SELF_ITEM, SELF_COUNT, SRC_SLOTS, SRC_MAX_BYTES,
                                       TRIAGE_SLOTS)] __attribute__((aligned(8)));
static const cd_guid_t self_guid = {{0x5e, 0x1f, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                     0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d}};
static uint8_t ram[4096];
static const cd_mem_region_t map[] = {
    {(uintptr_t)ram, sizeof ram, CD_MEM_READ | CD_MEM_WRITE},
};

/* The flash and .noinit crash area with one dump in them, made once. */
static uint8_t golden_flash[FLASH_SIZE];
static uint8_t golden_noinit[512];
static size_t noinit_len;

static cd_config_t make_cfg(void)
{
    cd_config_t c;
    memset(&c, 0, sizeof c);
    c.component_name = "fuzz-proto";
    c.self_guid = self_guid;
    c.self_item_size = SELF_ITEM;
    c.self_item_count = SELF_COUNT;
    c.source_count = SRC_SLOTS;
    c.source_max_bytes = SRC_MAX_BYTES;
    c.triage_count = TRIAGE_SLOTS;
    c.dump_slots = 3;
    c.stack_dump_bytes = 256;
    c.storage = storage;
    c.storage_size = sizeof storage;
    return c;
}

/* Once per process: a device that crashed once, so DUMP_* have a dump. */
static void make_golden(void)
{
    static cd_crash_ctx_t ctx;
    cd_config_t c = make_cfg();
    void *area = cd_dump_noinit_area(&noinit_len);

    FUZZ_CHECK(noinit_len <= sizeof golden_noinit);
    fake_flash_setup(FLASH_SIZE, 1024u, 4u);
    memset(storage, 0, sizeof storage);
    memset(area, 0, noinit_len);
    fake_set_memory_map(map, 1);
    FUZZ_CHECK(cd_init(&c) == CD_OK);
    (void)cd_self_write("before the crash", 16);
    (void)cd_triage_add(ram + 64, 32);
    memset(&ctx, 0, sizeof ctx);
    ctx.reason = CD_REASON_BUGCHECK;
    ctx.code = 0x1234;
    if (setjmp(fake_reset_jmp) == 0) {
        fake_reset_armed = 1;
        cd_crash_handle(&ctx);
    }
    fake_reset_armed = 0;
    /* The dump must be there, or the DUMP_* paths go unfuzzed unnoticed. */
    cd_wire_dump_status_t st;
    cd_wire_slot_t slot;
    int valid = 0;
    FUZZ_CHECK(cd_init(&c) == CD_OK);
    FUZZ_CHECK(cd_dump_status(&st) == CD_OK);
    for (uint32_t i = 0; i < st.n_slots; i++) {
        FUZZ_CHECK(cd_dump_slot_info(i, &slot) == CD_OK);
        valid += slot.state == 1;
    }
    FUZZ_CHECK(valid == 1);
    memcpy(golden_flash, fake_flash, sizeof golden_flash);
    memcpy(golden_noinit, area, noinit_len);
}

/* ---- an independent decoder for what the device sends */

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
    return o;
}

/* -1 if a group runs past the end or the result would exceed cap. */
static long cobs_dec(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < n) {
        uint8_t code = in[i++];
        for (uint8_t j = 1; j < code; j++) {
            if (i >= n || o >= cap) {
                return -1;
            }
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < n) {
            if (o >= cap) {
                return -1;
            }
            out[o++] = 0;
        }
    }
    return (long)o;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

/* Payload of an OK response: is its length (and internal structure) right? */
static int payload_ok(uint8_t cmd, const uint8_t *p, size_t len)
{
    switch (cmd) {
    case CD_CMD_INFO:
        return len == sizeof(cd_wire_info_t);
    case CD_CMD_RESET:
    case CD_CMD_SRC_DESTROY:
    case CD_CMD_DUMP_ERASE:
    case CD_CMD_FAULT:
        return len == 0;
    case CD_CMD_SRC_CREATE:
    case CD_CMD_SRC_OPEN:
        return len == sizeof(cd_wire_source_t);
    case CD_CMD_SRC_WRITE:
        return len == sizeof(cd_wire_seq_t);
    case CD_CMD_SRC_READ:
    case CD_CMD_SELF_READ:
    case CD_CMD_SRC_CAPTURE:
    case CD_CMD_SELF_CAPTURE: {
        size_t pos = sizeof(cd_wire_items_t);
        if (len < pos) {
            return 0;
        }
        uint16_t n = get16(p + offsetof(cd_wire_items_t, n_items));
        for (uint16_t i = 0; i < n; i++) {
            if (len - pos < 2u) {
                return 0;
            }
            uint16_t l = get16(p + pos);
            if (l > CD_ITEM_MAX || len - pos - 2u < l) {
                return 0;
            }
            pos += 2u + l;
        }
        return pos == len;
    }
    case CD_CMD_SRC_LIST:
    case CD_CMD_TRIAGE_LIST: {
        size_t each = cmd == CD_CMD_SRC_LIST ? sizeof(cd_wire_source_t) : sizeof(cd_wire_range_t);
        if (len < sizeof(cd_wire_list_t)) {
            return 0;
        }
        uint16_t total = get16(p), n = get16(p + 2);
        return n <= total && len == sizeof(cd_wire_list_t) + n * each;
    }
    case CD_CMD_DUMP_STATUS:
        return len >= sizeof(cd_wire_dump_status_t) &&
               len == sizeof(cd_wire_dump_status_t) +
                          get16(p + offsetof(cd_wire_dump_status_t, n_slots)) *
                              sizeof(cd_wire_slot_t);
    case CD_CMD_DUMP_READ:
        return len <= PAYLOAD_MAX;
    default:
        return 0; /* an unknown command must not be answered OK */
    }
}

/* Checks every response in fake_tx, then clears it. Returns how many there
 * were; the last one's cmd/id and its wire bytes are kept for the caller. */
static uint8_t last_cmd, last_id;
static uint8_t last_wire[CD_FRAME_MAX * 2];
static size_t last_wire_len;

static int take_responses(void)
{
    static uint8_t dec[CD_FRAME_MAX];
    size_t start = 0;
    int n = 0;

    for (size_t i = 0; i < fake_tx_len; i++) {
        if (fake_tx[i] != 0) {
            continue;
        }
        long d = cobs_dec(fake_tx + start, i - start, dec, sizeof dec);
        FUZZ_CHECK(d >= (long)CD_FRAME_OVERHEAD && d <= (long)CD_FRAME_MAX);
        size_t body = (size_t)d - CD_FRAME_CRC_LEN;
        uint32_t crc = (uint32_t)dec[body] | (uint32_t)dec[body + 1] << 8 |
                       (uint32_t)dec[body + 2] << 16 | (uint32_t)dec[body + 3] << 24;
        FUZZ_CHECK(crc == crc32_ref(dec, body));
        FUZZ_CHECK(dec[0] & CD_CMD_RESPONSE);
        int16_t status = (int16_t)get16(dec + 2);
        FUZZ_CHECK(status <= 0 && status >= CD_E_EMPTY);
        size_t plen = body - CD_FRAME_HDR_LEN;
        if (status != CD_OK) {
            FUZZ_CHECK(plen == 0);
        } else {
            FUZZ_CHECK(payload_ok((uint8_t)(dec[0] & ~CD_CMD_RESPONSE), dec + 4, plen));
        }
        last_cmd = dec[0];
        last_id = dec[1];
        FUZZ_CHECK(i + 1 - start <= sizeof last_wire);
        memcpy(last_wire, fake_tx + start, i + 1 - start);
        last_wire_len = i + 1 - start;
        start = i + 1;
        n++;
    }
    FUZZ_CHECK(start == fake_tx_len); /* responses are sent whole */
    fake_tx_clear();
    return n;
}

static void check_rings(void)
{
    uint32_t total = 0;
    cd_ring_t *self = cd_self_ring();

    FUZZ_CHECK(self != NULL);
    FUZZ_CHECK(cd_ring_check(self, CD_RING_STRIDE(SELF_ITEM) * SELF_COUNT) == CD_OK);
    (void)cd_source_at(0, &total);
    FUZZ_CHECK(total <= SRC_SLOTS);
    for (uint32_t i = 0; i < total; i++) {
        cd_ring_t *r = cd_source_at(i, NULL);
        FUZZ_CHECK(r != NULL);
        FUZZ_CHECK(cd_ring_check(r, SRC_MAX_BYTES) == CD_OK);
    }
}

/* Every byte reaches the device through here: counts the frames (non-empty
 * runs ended by a 0x00) it is given. */
static uint32_t frames_fed;
static uint8_t frame_open;

static void rx(uint8_t b)
{
    if (b != 0) {
        frame_open = 1;
    } else if (frame_open) {
        frame_open = 0;
        frames_fed++;
    }
    cd_proto_rx_byte(b);
}

/* Polls until nothing waits; returns the responses sent. */
static int drain(void)
{
    int n = 0;
    while (cd_proto_poll()) {
        n += take_responses();
        check_rings();
    }
    return n;
}

/* Feeds bytes, polling after each one (per_byte) or only at the end. */
static int feed(const uint8_t *b, size_t n, int per_byte)
{
    int responses = 0;
    for (size_t i = 0; i < n; i++) {
        rx(b[i]);
        if (per_byte) {
            responses += drain();
        }
    }
    return responses + drain();
}

/* ---- bytes the "RX interrupt" delivers during the next cd_port_tx() */

static uint8_t isr_q[1024];
static size_t isr_n;

static void isr_during_tx(const uint8_t *buf, size_t len)
{
    size_t n = isr_n;
    (void)buf;
    (void)len;
    isr_n = 0; /* before feeding: the responses they cause re-enter this hook */
    for (size_t i = 0; i < n; i++) {
        rx(isr_q[i]);
    }
}

/* ---- what the harness knows of the device's last executed request */

static uint8_t known;                      /* 0: unknown (noise may have run one) */
static uint8_t known_req[CD_FRAME_MAX + 8];
static size_t known_len;
static uint8_t known_rsp[CD_FRAME_MAX * 2];
static size_t known_rsp_len;

static uint8_t snap_storage[sizeof storage];
static uint8_t snap_flash[FLASH_SIZE];
static uint8_t snap_noinit[512];

/* The last request record, for kind 2. */
static uint8_t rec_raw[CD_FRAME_MAX + 8];
static size_t rec_len;
static int have_rec;

/* Feeds one clean request (raw frame rec_raw[0..rec_len)) and checks it. */
static void clean_request(int lead)
{
    static uint8_t wire[CD_FRAME_MAX * 2 + 8];
    size_t n = 0;
    int is_repeat;
    int expect = !(rec_raw[0] & CD_CMD_RESPONSE) && rec_len <= CD_FRAME_MAX;
    void *area = cd_dump_noinit_area(&noinit_len);

    if (isr_n != 0) {
        /* Held-back bytes arrive now, before this request. */
        static uint8_t q[sizeof isr_q];
        size_t k = isr_n;
        memcpy(q, isr_q, k);
        isr_n = 0;
        if (feed(q, k, 1) != 0) {
            known = 0;
        }
    }
    if (lead) {
        /* The 0x00 ends whatever the line left in the receiver, and that may
         * be a whole frame short of its delimiter, which then runs. */
        static const uint8_t zero = 0;
        if (feed(&zero, 1, 1) != 0) {
            known = 0;
        }
    }
    /* Only now: held-back bytes or the 0x00 may have run a request. */
    is_repeat = known && rec_len == known_len && memcmp(rec_raw, known_req, rec_len) == 0;
    n += cobs_enc(rec_raw, rec_len, wire + n);
    wire[n++] = 0;
    if (is_repeat) {
        memcpy(snap_storage, storage, sizeof storage);
        memcpy(snap_flash, fake_flash, sizeof snap_flash);
        memcpy(snap_noinit, area, noinit_len);
    }
    int got = feed(wire, n, 1);
    if (!lead) {
        known = 0; /* glued to whatever came before: anything may have happened */
        return;
    }
    FUZZ_CHECK(got == (expect ? 1 : 0));
    if (!expect) {
        return;
    }
    FUZZ_CHECK(last_cmd == (rec_raw[0] | CD_CMD_RESPONSE));
    FUZZ_CHECK(last_id == rec_raw[1]);
    if (is_repeat) {
        /* Not executed again: the same answer, nothing changed. */
        FUZZ_CHECK(last_wire_len == known_rsp_len);
        FUZZ_CHECK(memcmp(last_wire, known_rsp, known_rsp_len) == 0);
        FUZZ_CHECK(memcmp(snap_storage, storage, sizeof storage) == 0);
        FUZZ_CHECK(memcmp(snap_flash, fake_flash, sizeof snap_flash) == 0);
        FUZZ_CHECK(memcmp(snap_noinit, area, noinit_len) == 0);
    } else {
        memcpy(known_req, rec_raw, rec_len);
        known_len = rec_len;
        memcpy(known_rsp, last_wire, last_wire_len);
        known_rsp_len = last_wire_len;
        known = 1;
    }
}

/* End of an input: INFO's counters must account for every frame fed. Two
 * INFOs with different ids: the first may be taken for a repeat of the last
 * request (the input may have sent that very INFO), the second cannot. */
static void check_accounting(void)
{
    static uint8_t dec[CD_FRAME_MAX];
    uint32_t crc, rx_frames, rx_errors;

    for (uint8_t id = 0xA0; id <= 0xA1; id++) {
        rec_raw[0] = CD_CMD_INFO;
        rec_raw[1] = id;
        rec_raw[2] = 0;
        rec_raw[3] = 0;
        crc = crc32_ref(rec_raw, 4);
        memcpy(rec_raw + 4, &crc, 4);
        rec_len = 8;
        clean_request(1);
    }
    long d = cobs_dec(last_wire, last_wire_len - 1, dec, sizeof dec);
    FUZZ_CHECK(d == (long)(CD_FRAME_OVERHEAD + sizeof(cd_wire_info_t)));
    memcpy(&rx_frames, dec + 4 + offsetof(cd_wire_info_t, rx_frames), 4);
    memcpy(&rx_errors, dec + 4 + offsetof(cd_wire_info_t, rx_errors), 4);
    FUZZ_CHECK(rx_frames + rx_errors == frames_fed);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    cd_config_t c = make_cfg();
    size_t pos = 0;
    void *area;

    if (!ready) {
        make_golden();
        ready = 1;
    }
    /* A fresh device: cold storage, the golden flash and crash area. */
    memcpy(fake_flash, golden_flash, sizeof golden_flash);
    fake_flash_cut_at = 0;
    fake_flash_fail_io = 0;
    area = cd_dump_noinit_area(&noinit_len);
    memcpy(area, golden_noinit, noinit_len);
    memset(storage, 0, sizeof storage);
    fake_set_memory_map(map, 1);
    FUZZ_CHECK(cd_init(&c) == CD_OK);
    cd_proto_reset();
    fake_tx_clear();
    known = 0;
    have_rec = 0;
    isr_n = 0;
    fake_tx_hook = isr_during_tx;
    frames_fed = 0;
    frame_open = 0;

    while (pos < size) {
        uint8_t op = data[pos++];
        int per_byte = !(op & 0x04);
        switch (op & 3u) {
        case 0: { /* noise */
            size_t n = pos < size ? data[pos++] : 0;
            if (n > size - pos) {
                n = size - pos;
            }
            if ((op & 0x08) && n <= sizeof isr_q - isr_n) {
                memcpy(isr_q + isr_n, data + pos, n);
                isr_n += n;
            } else if (feed(data + pos, n, per_byte) != 0) {
                known = 0;
            }
            pos += n;
            break;
        }
        case 1:
        case 3: { /* request, or a damaged one */
            if (size - pos < 5) {
                pos = size;
                break;
            }
            size_t plen = data[pos++];
            if (op & 0x08) {
                plen *= 4u;
            }
            uint8_t hdr[4] = {data[pos], data[pos + 1], data[pos + 2], data[pos + 3]};
            pos += 4;
            if (plen > size - pos) {
                plen = size - pos;
            }
            memcpy(rec_raw, hdr, 4);
            memcpy(rec_raw + 4, data + pos, plen);
            pos += plen;
            uint32_t crc = crc32_ref(rec_raw, 4 + plen);
            rec_raw[4 + plen] = (uint8_t)crc;
            rec_raw[5 + plen] = (uint8_t)(crc >> 8);
            rec_raw[6 + plen] = (uint8_t)(crc >> 16);
            rec_raw[7 + plen] = (uint8_t)(crc >> 24);
            rec_len = plen + 8;
            if ((op & 3u) == 1) {
                have_rec = 1;
                clean_request(!(op & 0x10));
            } else {
                static uint8_t wire[CD_FRAME_MAX * 2 + 8];
                size_t n = cobs_enc(rec_raw, rec_len, wire + 1) + 1;
                size_t at = pos < size ? data[pos++] : 0;
                wire[0] = 0;
                wire[n++] = 0;
                wire[1 + at % (n - 1)] ^= (uint8_t)(1u << (op >> 5));
                have_rec = 0;
                if (feed(wire, n, per_byte) != 0) {
                    known = 0;
                }
            }
            break;
        }
        case 2: /* the last request again */
            if (have_rec) {
                clean_request(1);
            }
            break;
        }
    }
    (void)drain();
    check_accounting();
    return 0;
}
