/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COBS framing: a streaming decoder fed from the RX interrupt and a chunked
 * encoder for responses. See cd_frame.h for the contract.
 *
 * COBS in one paragraph: the frame is cut at every 0x00 (plus an imaginary one
 * after its end); each piece of up to 254 non-zero bytes is sent as a code byte
 * (piece length + 1) followed by the piece. Code 0xFF means "254 bytes and no
 * zero after them" so long runs need no zero. The decoder therefore appends the
 * zero a group stands for only when another group follows; at the delimiter the
 * pending zero is the imaginary one and is dropped.
 */
#include "cd_frame.h"

#include "crashdump/cd_status.h"

#define RX_F_ACTIVE 0x01u   /* a non-zero byte has arrived since the last delimiter */
#define RX_F_ZERO 0x02u     /* the last group had code < 0xFF: a 0x00 is due if another follows */
#define RX_F_DROP 0x04u     /* frame already lost: ignore bytes until the delimiter */
#define RX_F_LONG 0x08u     /* ... because it outgrew buf */

#define COBS_RUN_MAX 254u   /* data bytes in a group with code 0xFF */

void cd_frame_rx_reset(cd_frame_rx_t *rx)
{
    rx->len = 0;
    rx->left = 0;
    rx->flags = 0;
}

void cd_frame_rx_discard(cd_frame_rx_t *rx)
{
    rx->flags = (uint8_t)(rx->flags | RX_F_ACTIVE | RX_F_DROP);
}

/* Any (called from cd_frame_rx_feed). Appends one decoded byte, or marks the
 * frame too long instead of writing past buf. */
static void rx_put(cd_frame_rx_t *rx, uint8_t b)
{
    if (rx->len >= sizeof rx->buf) {
        rx->flags = (uint8_t)(rx->flags | RX_F_DROP | RX_F_LONG);
        return;
    }
    rx->buf[rx->len++] = b;
}

int cd_frame_rx_feed(cd_frame_rx_t *rx, uint8_t b)
{
    if (b == CD_FRAME_DELIM) {
        uint8_t f = rx->flags;
        int r;
        if (!(f & RX_F_ACTIVE)) {
            r = 0; /* idle line or repeated delimiters: not a frame at all */
        } else if (f & RX_F_LONG) {
            r = CD_E_NOSPACE;
        } else if ((f & RX_F_DROP) || rx->left != 0 || rx->len < CD_FRAME_OVERHEAD) {
            /* left != 0: a code byte promised more bytes than arrived (truncated group) */
            r = CD_E_CORRUPT;
        } else {
            r = (int)rx->len;
        }
        cd_frame_rx_reset(rx);
        return r;
    }

    rx->flags = (uint8_t)(rx->flags | RX_F_ACTIVE);
    if (rx->flags & RX_F_DROP) {
        return 0;
    }
    if (rx->left == 0) {
        /* A code byte: the zero the previous group stood for is real after all. */
        if (rx->flags & RX_F_ZERO) {
            rx_put(rx, 0);
        }
        rx->left = (uint8_t)(b - 1u);
        if (b == 0xFFu) {
            rx->flags = (uint8_t)(rx->flags & ~RX_F_ZERO);
        } else {
            rx->flags = (uint8_t)(rx->flags | RX_F_ZERO);
        }
        return 0;
    }
    rx->left--;
    rx_put(rx, b);
    return 0;
}

/* Staging buffer between the encoder and its sink. */
typedef struct {
    cd_frame_sink_fn sink;
    void *user;
    size_t n;
    uint8_t buf[CD_FRAME_TX_CHUNK];
} tx_stage_t;

/* Thread (called from cd_frame_encode). Queues one byte, passing a full
 * buffer on to the sink. */
static void tx_put(tx_stage_t *st, uint8_t b)
{
    st->buf[st->n++] = b;
    if (st->n == sizeof st->buf) {
        st->sink(st->user, st->buf, st->n);
        st->n = 0;
    }
}

void cd_frame_encode(const uint8_t *frame, size_t len, cd_frame_sink_fn sink, void *user)
{
    tx_stage_t st;
    size_t pos = 0;

    st.sink = sink;
    st.user = user;
    st.n = 0;
    for (;;) {
        size_t run = 0;
        while (pos + run < len && run < COBS_RUN_MAX && frame[pos + run] != 0) {
            run++;
        }
        tx_put(&st, (uint8_t)(run + 1u));
        for (size_t i = 0; i < run; i++) {
            tx_put(&st, frame[pos + i]);
        }
        pos += run;
        if (pos == len) {
            /* The imaginary trailing zero ends the last group; after a full
             * 0xFF group that ends exactly at len nothing more is needed. */
            break;
        }
        if (run < COBS_RUN_MAX) {
            pos++; /* this group's code stands for the 0x00 at frame[pos] */
        }
    }
    tx_put(&st, CD_FRAME_DELIM);
    if (st.n != 0) {
        sink(user, st.buf, st.n);
    }
}
