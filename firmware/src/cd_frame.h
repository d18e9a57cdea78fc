/* SPDX-License-Identifier: Apache-2.0 */
/*
 * COBS framing for the serial protocol (docs/protocol.md, "Framing").
 * Internal to the portable core; cd_proto.c is the only user in the firmware.
 *
 * Both directions are pure functions over caller-owned state, so the unit tests
 * drive them without a port:
 *   - the decoder takes one wire byte at a time and rebuilds the frame in its own
 *     CD_FRAME_MAX-byte buffer, reporting a frame (or a dropped one) at each 0x00;
 *   - the encoder reads a raw frame from memory and hands the COBS bytes plus the
 *     0x00 delimiter to a sink in chunks of at most CD_FRAME_TX_CHUNK bytes.
 * Neither knows about CRCs or commands.
 */
#ifndef CD_FRAME_H
#define CD_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "crashdump/cd_config.h"
#include "crashdump/cd_format.h"

#if CD_FRAME_MAX < 128u || CD_FRAME_MAX > 65535u
#error "CD_FRAME_MAX must be 128..65535 (frame_max is a u16 on the wire)"
#endif

/* Staging buffer the encoder fills before each sink call (on the stack). */
#define CD_FRAME_TX_CHUNK 64u

/* Decoder state. All-zero (static storage, or cd_frame_rx_reset()) is "between
 * frames"; a zeroed context needs no other initialisation. */
typedef struct {
    uint16_t len;               /* decoded bytes in buf so far */
    uint8_t left;               /* data bytes still due in this COBS group; 0 = next byte is a code */
    uint8_t flags;              /* CD_FRAME_RX_F_* below; internal */
    uint8_t buf[CD_FRAME_MAX];  /* the decoded frame; valid after a feed returned > 0 */
} cd_frame_rx_t;

/* Any. Forgets any partial frame; the next non-zero byte starts a frame. */
void cd_frame_rx_reset(cd_frame_rx_t *rx);

/* Any. Marks the frame in progress (or, between frames, the one starting with the
 * next byte) as lost: everything up to the next delimiter is discarded and that
 * delimiter reports CD_E_CORRUPT. Used when bytes of a frame were dropped before
 * they reached the decoder, so its tail is not mistaken for a frame start. */
void cd_frame_rx_discard(cd_frame_rx_t *rx);

/* Any (the UART RX interrupt); constant time per byte, never reads or writes
 * outside *rx whatever the input. Feeds one wire byte. Returns:
 *   0               no frame ended (a data byte, or a 0x00 with nothing before it);
 *   8..CD_FRAME_MAX a frame ended at this 0x00: its decoded length, bytes in
 *                   rx->buf, valid until the next call;
 *   CD_E_NOSPACE    a frame ended that decoded to more than CD_FRAME_MAX bytes;
 *   CD_E_CORRUPT    a frame ended that decoded to fewer than 8 bytes, ended in the
 *                   middle of a COBS group, or was discarded (cd_frame_rx_discard).
 * After any non-zero return the decoder is between frames again. */
int cd_frame_rx_feed(cd_frame_rx_t *rx, uint8_t b);

/* Receives encoded bytes; buf is only valid during the call. */
typedef void (*cd_frame_sink_fn)(void *user, const uint8_t *buf, size_t len);

/* Thread. COBS-encodes frame[0..len) and emits it followed by one 0x00, through
 * sink in chunks of 1..CD_FRAME_TX_CHUNK bytes. Emits len + 2 + len / 254 bytes
 * at most. Uses CD_FRAME_TX_CHUNK bytes of stack. */
void cd_frame_encode(const uint8_t *frame, size_t len, cd_frame_sink_fn sink, void *user);

#endif /* CD_FRAME_H */
