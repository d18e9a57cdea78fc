/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COBS framing (firmware/src/cd_frame.c): fixed vectors, round trips across the
 * interesting run lengths and sizes, every way a frame can be dropped, and a
 * seeded fuzz checked against an independent whole-buffer COBS decoder. The
 * decoder context is heap-allocated on its own so ASan flags any write past
 * its buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cd_frame.h"
#include "crashdump/cd_status.h"
#include "unit.h"

#define ENC_CAP (CD_FRAME_MAX * 4u + 64u)

/* ---- helpers */

typedef struct {
    uint8_t buf[ENC_CAP];
    size_t len;
    size_t calls;
    size_t max_chunk;
} sink_t;

static void sink_fn(void *user, const uint8_t *buf, size_t len)
{
    sink_t *s = user;
    CHECK(len >= 1 && len <= CD_FRAME_TX_CHUNK);
    CHECK(s->len + len <= sizeof s->buf);
    if (s->len + len <= sizeof s->buf) {
        memcpy(s->buf + s->len, buf, len);
        s->len += len;
    }
    s->calls++;
    if (len > s->max_chunk) {
        s->max_chunk = len;
    }
}

static sink_t enc; /* large: keep it off the stack */

/* Encodes into the global `enc`, checking the properties every encoding has:
 * exactly one 0x00, at the end, and the documented size bound. */
static void encode(const uint8_t *frame, size_t len)
{
    memset(&enc, 0, sizeof enc);
    cd_frame_encode(frame, len, sink_fn, &enc);
    CHECK(enc.len >= 2);
    CHECK(enc.len <= len + 2 + len / 254);
    CHECK_EQ(enc.buf[enc.len - 1], 0);
    CHECK(memchr(enc.buf, 0, enc.len - 1) == NULL);
}

static cd_frame_rx_t *rx_new(void)
{
    cd_frame_rx_t *rx = malloc(sizeof *rx);
    memset(rx, 0xA5, sizeof *rx); /* the reset must not rely on zeroed memory */
    cd_frame_rx_reset(rx);
    return rx;
}

/* Feeds n bytes; returns the last non-zero feed result (0 if none) and checks
 * that no result other than the final byte's is non-zero when strict. */
static int feed(cd_frame_rx_t *rx, const uint8_t *b, size_t n, int strict)
{
    int last = 0;
    for (size_t i = 0; i < n; i++) {
        int r = cd_frame_rx_feed(rx, b[i]);
        if (r != 0) {
            if (strict) {
                CHECK_EQ(i, n - 1);
            }
            last = r;
        }
    }
    return last;
}

/* Encodes frame, decodes it with a fresh decoder and checks it comes back. */
static void round_trip(const uint8_t *frame, size_t len)
{
    cd_frame_rx_t *rx = rx_new();
    int r;

    encode(frame, len);
    r = feed(rx, enc.buf, enc.len, 1);
    CHECK_EQ(r, (int)len);
    if (r == (int)len) {
        CHECK_MEM(rx->buf, frame, len);
    }
    free(rx);
}

static uint32_t rng_state;

static uint32_t rnd(void)
{
    /* xorshift32: deterministic, so a failure reproduces. */
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

/* Reference: classic whole-buffer COBS decode of one segment (no 0x00 inside).
 * Returns the decoded length; *truncated is set if a code byte runs past the
 * end (the length is then what was decoded before the end). */
static size_t ref_decode(const uint8_t *in, size_t n, uint8_t *out, int *truncated)
{
    size_t i = 0, o = 0;
    *truncated = 0;
    while (i < n) {
        uint8_t code = in[i++];
        for (uint8_t j = 1; j < code; j++) {
            if (i >= n) {
                *truncated = 1;
                return o;
            }
            out[o++] = in[i++];
        }
        if (code != 0xFF && i < n) {
            out[o++] = 0;
        }
    }
    return o;
}

/* What the streaming decoder must report for a segment, per cd_frame.h. Too
 * long wins over truncated: the decoder sees the overflow first. */
static int ref_expect(const uint8_t *seg, size_t n, uint8_t *out)
{
    int truncated;
    size_t d;
    if (n == 0) {
        return 0;
    }
    d = ref_decode(seg, n, out, &truncated);
    if (d > CD_FRAME_MAX) {
        return CD_E_NOSPACE;
    }
    if (truncated || d < CD_FRAME_OVERHEAD) {
        return CD_E_CORRUPT;
    }
    return (int)d;
}

/* Feeds an arbitrary stream and checks every delimiter's result (and frame
 * contents) against the reference decoder. The decoder must start between
 * frames; the stream's bytes after its last 0x00 are left in the decoder. */
static uint8_t ref_out[1u << 18];

static void diff_stream(cd_frame_rx_t *rx, const uint8_t *s, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        int r = cd_frame_rx_feed(rx, s[i]);
        if (s[i] != 0) {
            CHECK_EQ(r, 0);
            continue;
        }
        int want = ref_expect(s + start, i - start, ref_out);
        CHECK_EQ(r, want);
        if (r > 0 && r == want) {
            CHECK_MEM(rx->buf, ref_out, (size_t)r);
        }
        start = i + 1;
    }
}

/* A valid frame of len bytes with a recognisable pattern. */
static void make_frame(uint8_t *f, size_t len, uint32_t salt)
{
    for (size_t i = 0; i < len; i++) {
        f[i] = (uint8_t)(i * 7u + salt);
    }
}

/* ---- fixed vectors (Wikipedia's COBS examples plus edge cases) */

TEST(encode_vectors)
{
    static const struct {
        uint8_t in[8];
        size_t in_len;
        uint8_t out[10];
        size_t out_len;
    } v[] = {
        {{0}, 0, {0x01, 0x00}, 2},
        {{0x00}, 1, {0x01, 0x01, 0x00}, 3},
        {{0x00, 0x00}, 2, {0x01, 0x01, 0x01, 0x00}, 4},
        {{0x00, 0x11, 0x00}, 3, {0x01, 0x02, 0x11, 0x01, 0x00}, 5},
        {{0x11, 0x22, 0x00, 0x33}, 4, {0x03, 0x11, 0x22, 0x02, 0x33, 0x00}, 6},
        {{0x11, 0x22, 0x33, 0x44}, 4, {0x05, 0x11, 0x22, 0x33, 0x44, 0x00}, 6},
        {{0x11, 0x00, 0x00, 0x00}, 4, {0x02, 0x11, 0x01, 0x01, 0x01, 0x00}, 6},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        encode(v[i].in, v[i].in_len);
        CHECK_EQ(enc.len, v[i].out_len);
        CHECK_MEM(enc.buf, v[i].out, v[i].out_len);
    }
}

TEST(encode_long_runs)
{
    uint8_t in[256];

    /* 01..FE: one full group, no trailing 01 */
    for (int i = 0; i < 254; i++) {
        in[i] = (uint8_t)(i + 1);
    }
    encode(in, 254);
    CHECK_EQ(enc.len, 256);
    CHECK_EQ(enc.buf[0], 0xFF);
    CHECK_MEM(enc.buf + 1, in, 254);

    /* 00 01..FE */
    in[0] = 0;
    for (int i = 1; i < 255; i++) {
        in[i] = (uint8_t)i;
    }
    encode(in, 255);
    CHECK_EQ(enc.len, 257);
    CHECK_EQ(enc.buf[0], 0x01);
    CHECK_EQ(enc.buf[1], 0xFF);
    CHECK_MEM(enc.buf + 2, in + 1, 254);

    /* 01..FF: a full group then 02 FF */
    for (int i = 0; i < 255; i++) {
        in[i] = (uint8_t)(i + 1);
    }
    encode(in, 255);
    CHECK_EQ(enc.len, 258);
    CHECK_EQ(enc.buf[0], 0xFF);
    CHECK_EQ(enc.buf[255], 0x02);
    CHECK_EQ(enc.buf[256], 0xFF);

    /* 02..FF 00: FF 02..FF 01 01 */
    for (int i = 0; i < 254; i++) {
        in[i] = (uint8_t)(i + 2);
    }
    in[254] = 0;
    encode(in, 255);
    CHECK_EQ(enc.len, 258);
    CHECK_EQ(enc.buf[0], 0xFF);
    CHECK_EQ(enc.buf[255], 0x01);
    CHECK_EQ(enc.buf[256], 0x01);

    /* 03..FF 00 01: FE 03..FF 02 01 */
    for (int i = 0; i < 253; i++) {
        in[i] = (uint8_t)(i + 3);
    }
    in[253] = 0;
    in[254] = 1;
    encode(in, 255);
    CHECK_EQ(enc.len, 257);
    CHECK_EQ(enc.buf[0], 0xFE);
    CHECK_EQ(enc.buf[254], 0x02);
    CHECK_EQ(enc.buf[255], 0x01);
}

TEST(encode_chunks)
{
    static uint8_t f[CD_FRAME_MAX];

    make_frame(f, sizeof f, 1);
    encode(f, sizeof f);
    CHECK_EQ(enc.max_chunk, CD_FRAME_TX_CHUNK);
    CHECK_EQ(enc.calls, (enc.len + CD_FRAME_TX_CHUNK - 1) / CD_FRAME_TX_CHUNK);

    /* A frame whose encoding is an exact multiple of the chunk: no empty call. */
    memset(f, 0x55, sizeof f);
    encode(f, 2 * CD_FRAME_TX_CHUNK - 2); /* one code byte + data + delimiter */
    CHECK_EQ(enc.len, 2 * CD_FRAME_TX_CHUNK);
    CHECK_EQ(enc.calls, 2);
}

/* ---- round trips */

TEST(round_trip_runs)
{
    static const size_t runs[] = {1, 2, 253, 254, 255, 256, 507, 508, 509, 762};
    static uint8_t f[CD_FRAME_MAX];

    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++) {
        for (size_t lead = 0; lead < 3; lead++) {   /* zeros before the run */
            for (size_t tail = 0; tail < 3; tail++) { /* zeros after it */
                size_t len = lead + runs[i] + tail;
                memset(f, 0, len);
                memset(f + lead, 0xA7, runs[i]);
                if (len < CD_FRAME_OVERHEAD) {
                    /* pad with a zero prefix to the minimum frame size */
                    memmove(f + (CD_FRAME_OVERHEAD - len), f, len);
                    memset(f, 0, CD_FRAME_OVERHEAD - len);
                    len = CD_FRAME_OVERHEAD;
                }
                round_trip(f, len);
            }
        }
    }
}

TEST(round_trip_zeros_and_sizes)
{
    static uint8_t f[CD_FRAME_MAX];

    memset(f, 0, sizeof f);
    for (size_t len = CD_FRAME_OVERHEAD; len <= CD_FRAME_MAX; len += 97) {
        round_trip(f, len); /* all-zero */
    }
    round_trip(f, CD_FRAME_MAX);
    for (size_t len = CD_FRAME_OVERHEAD; len < 600; len++) {
        make_frame(f, len, (uint32_t)len); /* pattern includes a zero every 256 bytes */
        round_trip(f, len);
    }
    /* Maximum size, ending in each of: a zero, a full group, a short group. */
    make_frame(f, CD_FRAME_MAX, 3);
    f[CD_FRAME_MAX - 1] = 0;
    round_trip(f, CD_FRAME_MAX);
    memset(f, 0xEE, CD_FRAME_MAX);
    round_trip(f, CD_FRAME_MAX);
    f[CD_FRAME_MAX - 254 - 1] = 0;
    round_trip(f, CD_FRAME_MAX);
}

TEST(round_trip_every_byte_value)
{
    uint8_t f[300];

    /* Every value at every offset of a 256-byte frame, and frames of one value. */
    for (unsigned rot = 0; rot < 256; rot++) {
        for (unsigned i = 0; i < 256; i++) {
            f[i] = (uint8_t)(i + rot);
        }
        round_trip(f, 256);
    }
    for (unsigned v = 0; v < 256; v++) {
        memset(f, (int)v, sizeof f);
        round_trip(f, sizeof f);
    }
}

TEST(decode_accepts_noncanonical_trailer)
{
    /* Some encoders close a full 0xFF group with an extra 01 code. */
    cd_frame_rx_t *rx = rx_new();
    uint8_t in[257];

    in[0] = 0xFF;
    memset(in + 1, 0x42, 254);
    in[255] = 0x01;
    in[256] = 0x00;
    CHECK_EQ(feed(rx, in, sizeof in, 1), 254);
    free(rx);
}

/* ---- dropped frames and resynchronisation */

/* Sends one good frame and checks it arrives intact. */
static void expect_good_frame(cd_frame_rx_t *rx, uint32_t salt)
{
    uint8_t f[40];
    make_frame(f, sizeof f, salt);
    encode(f, sizeof f);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), (int)sizeof f);
    CHECK_MEM(rx->buf, f, sizeof f);
}

TEST(idle_delimiters_are_not_frames)
{
    cd_frame_rx_t *rx = rx_new();
    for (int i = 0; i < 10; i++) {
        CHECK_EQ(cd_frame_rx_feed(rx, 0), 0);
    }
    expect_good_frame(rx, 1);
    CHECK_EQ(cd_frame_rx_feed(rx, 0), 0);
    expect_good_frame(rx, 2);
    free(rx);
}

TEST(short_frames_dropped)
{
    cd_frame_rx_t *rx = rx_new();
    uint8_t f[8] = {1, 2, 3, 4, 5, 6, 7, 8};

    /* 0x01 alone decodes to nothing: a frame, and too short. */
    CHECK_EQ(cd_frame_rx_feed(rx, 0x01), 0);
    CHECK_EQ(cd_frame_rx_feed(rx, 0x00), CD_E_CORRUPT);
    for (size_t len = 1; len < CD_FRAME_OVERHEAD; len++) {
        encode(f, len);
        CHECK_EQ(feed(rx, enc.buf, enc.len, 1), CD_E_CORRUPT);
    }
    encode(f, 8);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), 8);
    expect_good_frame(rx, 3);
    free(rx);
}

TEST(oversize_frames_dropped)
{
    static uint8_t f[CD_FRAME_MAX + 300];
    cd_frame_rx_t *rx = rx_new();

    /* One byte too many, in each shape the last group can have. */
    make_frame(f, CD_FRAME_MAX + 1, 9);
    encode(f, CD_FRAME_MAX + 1);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), CD_E_NOSPACE);
    expect_good_frame(rx, 4);
    memset(f, 0, CD_FRAME_MAX + 1);
    encode(f, CD_FRAME_MAX + 1);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), CD_E_NOSPACE);
    expect_good_frame(rx, 5);
    memset(f, 0x31, sizeof f);
    encode(f, sizeof f);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), CD_E_NOSPACE);
    expect_good_frame(rx, 6);

    /* Exactly CD_FRAME_MAX whose last group implies a zero that would not fit:
     * that zero is the imaginary one and must not count. */
    make_frame(f, CD_FRAME_MAX, 11);
    f[CD_FRAME_MAX - 2] = 0;
    encode(f, CD_FRAME_MAX);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), (int)CD_FRAME_MAX);

    /* A long stream of non-zero bytes: never written past buf (ASan). */
    for (int i = 0; i < 20000; i++) {
        CHECK_EQ(cd_frame_rx_feed(rx, (uint8_t)(1 + i % 255)), 0);
    }
    CHECK_EQ(cd_frame_rx_feed(rx, 0), CD_E_NOSPACE);
    expect_good_frame(rx, 7);
    free(rx);
}

TEST(truncated_group_dropped)
{
    cd_frame_rx_t *rx = rx_new();
    uint8_t f[20];

    make_frame(f, sizeof f, 1);
    f[5] = 0;
    encode(f, sizeof f);
    /* Cut the stream before each byte of the encoding and end it early. */
    for (size_t cut = 1; cut < enc.len - 1; cut++) {
        uint8_t copy[32];
        memcpy(copy, enc.buf, cut);
        copy[cut] = 0;
        int r = feed(rx, copy, cut + 1, 1);
        CHECK(r < 0);
    }
    /* A code promising more bytes than the frame has. */
    {
        uint8_t t[] = {0x10, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0};
        CHECK_EQ(feed(rx, t, sizeof t, 1), CD_E_CORRUPT);
    }
    expect_good_frame(rx, 8);
    free(rx);
}

TEST(garbage_then_frame)
{
    cd_frame_rx_t *rx = rx_new();
    uint8_t f[16];

    /* Garbage with no delimiter merges with the next frame: that one is lost,
     * the one after the next delimiter is not. */
    {
        const char *text = "boot: hello world\r\n";
        feed(rx, (const uint8_t *)text, strlen(text), 0);
        make_frame(f, sizeof f, 2);
        encode(f, sizeof f);
        CHECK(feed(rx, enc.buf, enc.len, 1) != (int)sizeof f);
        expect_good_frame(rx, 9);
    }
    /* Garbage of every single byte value followed by a delimiter. */
    for (unsigned v = 0; v < 256; v++) {
        uint8_t b[2] = {(uint8_t)v, 0};
        feed(rx, b, 2, 0);
        expect_good_frame(rx, v);
    }
    free(rx);
}

TEST(discard)
{
    cd_frame_rx_t *rx = rx_new();
    uint8_t f[24];

    /* Mid-frame: the rest up to the delimiter is ignored and reported once. */
    make_frame(f, sizeof f, 5);
    encode(f, sizeof f);
    feed(rx, enc.buf, 10, 1);
    cd_frame_rx_discard(rx);
    CHECK_EQ(feed(rx, enc.buf + 10, enc.len - 10, 1), CD_E_CORRUPT);
    expect_good_frame(rx, 10);

    /* Between frames: the next frame is the one discarded. */
    encode(f, sizeof f);
    cd_frame_rx_discard(rx);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), CD_E_CORRUPT);
    expect_good_frame(rx, 11);

    /* Reset drops a partial frame silently. */
    encode(f, sizeof f);
    feed(rx, enc.buf, 10, 1);
    cd_frame_rx_reset(rx);
    CHECK_EQ(feed(rx, enc.buf, enc.len, 1), (int)sizeof f);
    free(rx);
}

/* ---- fuzz */

TEST(fuzz_random_stream)
{
    /* 200k random bytes, zero-heavy in places so that short, long and truncated
     * frames all occur, checked delimiter by delimiter against the reference. */
    static uint8_t s[200000];
    cd_frame_rx_t *rx = rx_new();

    rng_state = 0xC0B5F00Du;
    for (size_t i = 0; i < sizeof s; i++) {
        uint32_t x = rnd();
        unsigned zero_odds = (i / 20000) % 4 == 0 ? 8u : (i / 20000) % 4 == 1 ? 300u : 2000u;
        s[i] = (x % zero_odds == 0) ? 0 : (uint8_t)(x >> 8);
        if ((i / 20000) % 4 == 3 && s[i] != 0) {
            s[i] = (uint8_t)(0xF0 | (x >> 28)); /* big code bytes: long groups */
        }
    }
    diff_stream(rx, s, sizeof s);
    /* Whatever state that left, delimiter + good frame works. */
    cd_frame_rx_feed(rx, 0);
    expect_good_frame(rx, 12);

    /* Random garbage chunks, each followed by delimiter + good frame. */
    for (int round = 0; round < 2000; round++) {
        size_t n = rnd() % 1500;
        for (size_t i = 0; i < n; i++) {
            cd_frame_rx_feed(rx, (uint8_t)rnd());
        }
        cd_frame_rx_feed(rx, 0);
        expect_good_frame(rx, (uint32_t)round);
    }
    free(rx);
}

TEST(fuzz_mutated_frames)
{
    static uint8_t f[CD_FRAME_MAX + 8];
    static uint8_t m[ENC_CAP + 64];
    cd_frame_rx_t *rx = rx_new();

    rng_state = 0x5EED1234u;
    for (int round = 0; round < 20000; round++) {
        size_t len = CD_FRAME_OVERHEAD + rnd() % (CD_FRAME_MAX + 8 - CD_FRAME_OVERHEAD);
        size_t n;
        int muts = 1 + (int)(rnd() % 4);

        for (size_t i = 0; i < len; i++) {
            uint32_t x = rnd();
            f[i] = (x & 0x30) == 0 ? 0 : (uint8_t)(x >> 8);
        }
        encode(f, len);
        n = enc.len - 1; /* mutate the body, delimiter added below */
        memcpy(m, enc.buf, n);
        for (int k = 0; k < muts && n > 0; k++) {
            size_t at = rnd() % n;
            switch (rnd() % 5) {
            case 0: m[at] ^= (uint8_t)(1u << (rnd() % 8)); break;         /* bit flip */
            case 1: m[at] = (uint8_t)rnd(); break;                        /* byte */
            case 2: memmove(m + at, m + at + 1, n - at - 1); n--; break;  /* delete */
            case 3:                                                       /* insert */
                if (n < sizeof m - 1) {
                    memmove(m + at + 1, m + at, n - at);
                    m[at] = (uint8_t)rnd();
                    n++;
                }
                break;
            default: n = at; break;                                       /* truncate */
            }
        }
        m[n++] = 0;
        diff_stream(rx, m, n);
        expect_good_frame(rx, (uint32_t)round);
    }
    free(rx);
}

int main(void)
{
    RUN(encode_vectors);
    RUN(encode_long_runs);
    RUN(encode_chunks);
    RUN(round_trip_runs);
    RUN(round_trip_zeros_and_sizes);
    RUN(round_trip_every_byte_value);
    RUN(decode_accepts_noncanonical_trailer);
    RUN(idle_delimiters_are_not_frames);
    RUN(short_frames_dropped);
    RUN(oversize_frames_dropped);
    RUN(truncated_group_dropped);
    RUN(garbage_then_frame);
    RUN(discard);
    RUN(fuzz_random_stream);
    RUN(fuzz_mutated_frames);
    return UNIT_END();
}
