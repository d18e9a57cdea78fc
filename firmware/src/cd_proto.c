/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Serial protocol, device side (docs/protocol.md): request parsing in the RX
 * interrupt, dispatch and responses in thread context.
 *
 * Hand-over between the two contexts: cd_proto_rx_byte() (ISR) owns the decoder
 * while s_pending is 0; when a frame completes it stores the length and sets
 * s_pending, after which it touches neither the decoder nor its buffer until
 * cd_proto_poll() (thread) has answered and cleared s_pending. So the frame is
 * read in place, with no lock and no copy. Bytes arriving meanwhile are dropped;
 * the frame they belong to is counted once and the decoder is told to skip the
 * rest of it.
 *
 * Duplicates (docs/protocol.md, "Retries and duplicates"): the response to the
 * last request executed stays in s_tx, together with that request's header,
 * length and CRC, until a different request is executed. A repeat of the same
 * request (a host's retry, or a frame the line duplicated) is answered from
 * s_tx without executing it again, so a retried WRITE stores one item and a
 * retried READ removes nothing more.
 *
 * RAM: the decoder (one CD_FRAME_MAX buffer), the response buffer (another) and a
 * few words. Wire structs are copied (cd_copy) between byte buffers and locals,
 * never accessed through cast pointers: the payload starts at offset 4 of a byte
 * array and the structs need 4-byte alignment (Cortex-M0 faults otherwise).
 */
#include <stdatomic.h>

#include "cd_arch.h"
#include "cd_crash.h"
#include "cd_frame.h"
#include "cd_internal.h"
#include "crashdump/cd_port.h"

/* Copying the wire structs bytewise is only right on a little-endian CPU. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crashdump's wire format is little-endian; this port needs byte swapping"
#endif

#define PAYLOAD_MAX (CD_FRAME_MAX - CD_FRAME_OVERHEAD)

_Static_assert(CD_ITEM_MAX + 2u + sizeof(cd_wire_items_t) <= PAYLOAD_MAX,
               "one item of CD_ITEM_MAX bytes must fit in a READ/CAPTURE response");
_Static_assert(sizeof(cd_wire_info_t) <= PAYLOAD_MAX, "INFO response must fit a frame");

/* ---- state shared between the RX interrupt and the thread */

static cd_frame_rx_t s_rx;             /* ISR-owned while !s_pending */
static volatile uint8_t s_pending;     /* a checked-length frame waits in s_rx.buf */
static volatile uint16_t s_rx_len;     /* its decoded length, set before s_pending */
static volatile uint32_t s_rx_errors_isr; /* written by the ISR only */
static uint8_t s_drop_open;            /* ISR only: dropped bytes of an unfinished frame */

/* ---- thread-only state */

static uint8_t s_tx[CD_FRAME_MAX];     /* response frame under construction */
static uint32_t s_rx_frames;
static uint32_t s_rx_errors_thread;    /* kept apart from the ISR's count so neither
                                          side needs a read-modify-write lock */
static size_t s_tx_len;                /* s_tx's frame length, CRC included */
static uint8_t s_last_valid;           /* s_tx answers the request described below */
static uint8_t s_last_hdr[CD_FRAME_HDR_LEN]; /* cmd, id, tag of that request */
static uint16_t s_last_len;            /* its decoded length */
static uint32_t s_last_crc;            /* its CRC (covers header and payload) */
static uint8_t s_reset_requested;
#if CD_ENABLE_FAULT_CMDS
static uint32_t s_fault_requested;     /* CD_FAULT_* to inject after the OK is sent */
#endif

void cd_proto_rx_byte(uint8_t b)
{
    int r;

    if (s_pending) {
        /* The request buffer is busy: drop, and count each frame lost this
         * way once, at its delimiter (or later, see below). */
        if (b != CD_FRAME_DELIM) {
            s_drop_open = 1;
        } else if (s_drop_open) {
            s_drop_open = 0;
            s_rx_errors_isr++;
        }
        return;
    }
    if (s_drop_open) {
        /* The buffer was released in the middle of a frame whose start we
         * dropped: its tail must not be parsed as a new frame. The decoder
         * counts it when its delimiter arrives. */
        s_drop_open = 0;
        cd_frame_rx_discard(&s_rx);
    }
    r = cd_frame_rx_feed(&s_rx, b);
    if (r > 0) {
        s_rx_len = (uint16_t)r;
        /* buf must be complete before the thread can see s_pending. */
        atomic_signal_fence(memory_order_release);
        s_pending = 1;
    } else if (r < 0) {
        s_rx_errors_isr++;
    }
}

/* ---- little-endian helpers for the frame header */

static uint32_t get_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* ---- command handlers
 *
 * Thread context. Each gets the request payload (length already checked against
 * the command table) and writes its response payload to rsp, which has room for
 * PAYLOAD_MAX bytes. Returns the response payload length, or a negative status
 * (then whatever it wrote is discarded and the response payload is empty).
 */
typedef int (*cmd_fn)(const uint8_t *req, size_t len, uint8_t *rsp);

/* Thread. 1 if the 16 bytes at guid_bytes are the self ring's GUID. */
static int is_self_guid(const uint8_t *guid_bytes)
{
    const cd_ring_t *self = cd_self_ring();
    return self != NULL && cd_equal(cd_ring_guid(self), guid_bytes, sizeof(cd_guid_t));
}

/* Thread. The ring a GUID names: the self ring, or a data source; NULL if none. */
static cd_ring_t *ring_by_guid(const uint8_t *guid_bytes)
{
    cd_guid_t g;

    if (is_self_guid(guid_bytes)) {
        return cd_self_ring();
    }
    cd_copy(&g, guid_bytes, sizeof g);
    return cd_source_find(&g);
}

/* Thread. Appends the u16 length of a {len, data} record whose data is
 * already at rsp + pos + 2; returns the position after the record. */
static size_t put_record(uint8_t *rsp, size_t pos, int len)
{
    rsp[pos] = (uint8_t)len;
    rsp[pos + 1u] = (uint8_t)((unsigned)len >> 8);
    return pos + 2u + (size_t)len;
}

/* Thread. Writes the cd_wire_source_t describing r to out. */
static void put_source(uint8_t *out, const cd_ring_t *r, uint16_t flags)
{
    cd_wire_source_t s;
    cd_ring_stat_t st;

    cd_ring_stat(r, &st);
    cd_zero(&s, sizeof s);
    cd_copy(&s.guid, cd_ring_guid(r), sizeof s.guid);
    cd_copy(s.label, cd_ring_label(r), sizeof s.label);
    s.item_size = st.item_size;
    if (r == cd_self_ring()) {
        flags |= CD_SRC_F_SELF;
    }
    s.flags = flags;
    s.count = st.count;
    s.head_seq = st.head_seq;
    s.oldest_seq = st.oldest_seq;
    s.lost = st.lost;
    cd_copy(out, &s, sizeof s);
}

static int cmd_info(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_info_t info;

    (void)req;
    (void)len;
    cd_zero(&info, sizeof info);
    cd_core_info(&info);
    if (info.caps != 0) {
        info.caps |= CD_CAP_DEDUP; /* cd_proto_poll() answers repeats from s_tx */
    }
    info.rx_frames = s_rx_frames;
    info.rx_errors = s_rx_errors_isr + s_rx_errors_thread;
    cd_copy(rsp, &info, sizeof info);
    return (int)sizeof info;
}

static int cmd_reset(const uint8_t *req, size_t len, uint8_t *rsp)
{
    (void)req;
    (void)len;
    (void)rsp;
    s_reset_requested = 1; /* cd_proto_poll() resets once the OK has been sent */
    return 0;
}

static int cmd_src_create(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_create_t c;
    char label[CD_LABEL_LEN + 1];
    cd_ring_t *r;
    int reattached = 0;
    int st;

    (void)len;
    cd_copy(&c, req, sizeof c);
    /* A 16-byte label has no NUL on the wire; terminate it for the C API. */
    cd_copy(label, c.label, CD_LABEL_LEN);
    label[CD_LABEL_LEN] = '\0';
    if (is_self_guid(c.guid.b)) {
        /* The self ring is addressable by its GUID like a source, so creating
         * it re-attaches (or is a geometry clash) rather than making a second
         * ring under the same GUID. */
        cd_ring_stat_t rs;
        r = cd_self_ring();
        cd_ring_stat(r, &rs);
        if (rs.item_size != c.item_size || rs.count != c.count) {
            return CD_E_GEOMETRY;
        }
        reattached = 1;
    } else {
        st = cd_source_create(&c.guid, label, c.item_size, c.count, &r, &reattached);
        if (st < 0) {
            return st;
        }
    }
    put_source(rsp, r, reattached ? CD_SRC_F_REATTACHED : 0u);
    return (int)sizeof(cd_wire_source_t);
}

static int cmd_src_open(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_ring_t *r = ring_by_guid(req);

    (void)len;
    if (r == NULL) {
        return CD_E_UNKNOWN_SOURCE;
    }
    put_source(rsp, r, 0);
    return (int)sizeof(cd_wire_source_t);
}

static int cmd_src_write(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_ring_t *r = ring_by_guid(req);
    cd_wire_seq_t s;
    int st;

    if (r == NULL) {
        return CD_E_UNKNOWN_SOURCE;
    }
    if (len == sizeof(cd_guid_t)) {
        return CD_E_INVAL; /* no data: an empty item is not an item */
    }
    st = cd_ring_write(r, req + sizeof(cd_guid_t), len - sizeof(cd_guid_t), &s.seq);
    if (st < 0) {
        return st;
    }
    cd_copy(rsp, &s, sizeof s);
    return (int)sizeof s;
}

/* Thread. Moves items from r into a READ response at rsp, oldest first, until
 * the ring is empty, max_items (0 = no limit) are in, or the next one does not
 * fit. Returns the payload length. */
static int read_items(cd_ring_t *r, uint16_t max_items, uint8_t *rsp)
{
    cd_wire_items_t h;
    cd_ring_stat_t st;
    size_t pos = sizeof h;

    cd_zero(&h, sizeof h);
    for (;;) {
        uint32_t seq, lost, key;
        int n;

        if (max_items != 0 && h.n_items == max_items) {
            break;
        }
        if (PAYLOAD_MAX - pos < 3u) {
            break; /* not even a 1-byte item fits */
        }
        /* A reply must hold consecutive sequence numbers. If a writer (maybe an
         * interrupt) overran the ring since the previous item, stop before the
         * gap rather than remove an item this reply cannot carry; the next READ
         * starts at it and reports the loss. Hence check and remove atomically. */
        key = cd_arch_irq_lock();
        cd_ring_stat(r, &st);
        if (st.head_seq == st.oldest_seq ||
            (h.n_items != 0 && st.oldest_seq != h.first_seq + h.n_items)) {
            cd_arch_irq_unlock(key);
            break;
        }
        n = cd_ring_read(r, rsp + pos + 2u, PAYLOAD_MAX - pos - 2u, &seq, &lost);
        cd_arch_irq_unlock(key);
        if (n == CD_E_CORRUPT) {
            n = 0; /* consumed but unreadable: an empty record keeps seqs consecutive */
        } else if (n < 0) {
            break; /* CD_E_NOSPACE: the item stays for the next READ */
        }
        if (h.n_items == 0) {
            h.first_seq = seq;
            h.lost = lost;
        }
        pos = put_record(rsp, pos, n);
        h.n_items++;
    }
    cd_ring_stat(r, &st);
    if (h.n_items == 0) {
        h.first_seq = st.head_seq; /* nothing held: the next item will have this seq */
    }
    h.head_seq = st.head_seq;
    cd_copy(rsp, &h, sizeof h);
    return (int)pos;
}

/* Thread. Copies items of r from a CAPTURE request into a response at rsp,
 * without removing them. Returns the payload length. */
static int capture_items(const cd_ring_t *r, const cd_wire_capture_t *c, uint8_t *rsp)
{
    cd_wire_items_t h;
    cd_ring_stat_t st;
    uint32_t seq;
    size_t pos = sizeof h;

    cd_ring_stat(r, &st);
    seq = st.oldest_seq;
    if (c->flags & CD_CAPTURE_F_FROM) {
        /* Sequence numbers wrap: compare by signed distance. Older than the
         * oldest held -> start at the oldest (the reply shows the gap); past
         * the head -> nothing to send, report the head. */
        if ((int32_t)(c->from_seq - st.oldest_seq) > 0) {
            seq = (int32_t)(c->from_seq - st.head_seq) > 0 ? st.head_seq : c->from_seq;
        }
    }
    cd_zero(&h, sizeof h);
    h.head_seq = st.head_seq;
    h.lost = st.lost;
    h.first_seq = seq;
    /* Stop at the head seen above: the host's loop ends there anyway, and the
     * bound keeps this loop finite however fast a writer runs. */
    while (seq != st.head_seq && PAYLOAD_MAX - pos >= 3u) {
        int n = cd_ring_peek(r, seq, rsp + pos + 2u, PAYLOAD_MAX - pos - 2u);
        if (n == CD_E_NOT_FOUND) {
            if (h.n_items != 0) {
                break; /* a gap inside one reply cannot be expressed; the next shows it */
            }
            /* Overwritten since the stat (or read meanwhile): start later. */
            seq++;
            h.first_seq = seq;
            continue;
        }
        if (n == CD_E_CORRUPT) {
            n = 0; /* held but unreadable: an empty record keeps seqs consecutive */
        } else if (n < 0) {
            break; /* CD_E_NOSPACE: next request continues here */
        }
        pos = put_record(rsp, pos, n);
        h.n_items++;
        seq++;
    }
    cd_copy(rsp, &h, sizeof h);
    return (int)pos;
}

static int cmd_src_read(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_read_t rd;
    cd_ring_t *r;

    (void)len;
    cd_copy(&rd, req, sizeof rd);
    r = ring_by_guid(rd.guid.b);
    if (r == NULL) {
        return CD_E_UNKNOWN_SOURCE;
    }
    return read_items(r, rd.max_items, rsp);
}

static int cmd_src_capture(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_capture_t c;
    cd_ring_t *r;

    (void)len;
    cd_copy(&c, req, sizeof c);
    r = ring_by_guid(c.guid.b);
    if (r == NULL) {
        return CD_E_UNKNOWN_SOURCE;
    }
    return capture_items(r, &c, rsp);
}

static int cmd_src_destroy(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_guid_t g;

    (void)len;
    (void)rsp;
    if (is_self_guid(req)) {
        return CD_E_INVAL; /* the self ring belongs to the firmware */
    }
    cd_copy(&g, req, sizeof g);
    return cd_source_destroy(&g);
}

/* Thread. Writes the cd_wire_list_t header of a page reply. */
static void put_list_hdr(uint8_t *rsp, uint32_t total, uint32_t n)
{
    cd_wire_list_t l;

    l.total = (uint16_t)total;
    l.n = (uint16_t)n;
    cd_copy(rsp, &l, sizeof l);
}

static int cmd_src_list(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_page_t p;
    uint32_t total = 0, i, n = 0;
    size_t pos = sizeof(cd_wire_list_t);

    (void)len;
    cd_copy(&p, req, sizeof p);
    (void)cd_source_at(0, &total);
    for (i = p.start; i < total && PAYLOAD_MAX - pos >= sizeof(cd_wire_source_t); i++) {
        const cd_ring_t *r = cd_source_at(i, NULL);
        if (r == NULL) {
            break;
        }
        put_source(rsp + pos, r, 0);
        pos += sizeof(cd_wire_source_t);
        n++;
    }
    put_list_hdr(rsp, total, n);
    return (int)pos;
}

static int cmd_self_read(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_read_t rd;
    cd_ring_t *r = cd_self_ring();

    (void)len;
    if (r == NULL) {
        return CD_E_STATE; /* cd_init() has not succeeded */
    }
    cd_copy(&rd, req, sizeof rd);
    return read_items(r, rd.max_items, rsp);
}

static int cmd_self_capture(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_capture_t c;
    const cd_ring_t *r = cd_self_ring();

    (void)len;
    if (r == NULL) {
        return CD_E_STATE;
    }
    cd_copy(&c, req, sizeof c);
    return capture_items(r, &c, rsp);
}

static int cmd_triage_list(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_page_t p;
    uint32_t total = 0, i, n = 0;
    size_t pos = sizeof(cd_wire_list_t);

    (void)len;
    cd_copy(&p, req, sizeof p);
    (void)cd_triage_at(0, &total);
    for (i = p.start; i < total && PAYLOAD_MAX - pos >= sizeof(cd_wire_range_t); i++) {
        const cd_triage_range_t *t = cd_triage_at(i, NULL);
        cd_wire_range_t w;
        if (t == NULL) {
            break;
        }
        w.addr = (uint32_t)t->addr; /* 32-bit on the target; truncates only on a host build */
        w.len = (uint32_t)t->len;
        cd_copy(rsp + pos, &w, sizeof w);
        pos += sizeof w;
        n++;
    }
    put_list_hdr(rsp, total, n);
    return (int)pos;
}

/* ---- crash dumps (cd_dump.c holds the slots; these only move bytes) */

static int cmd_dump_status(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_dump_status_t st;
    size_t pos = sizeof st;

    (void)req;
    (void)len;
    int rc = cd_dump_status(&st);
    if (rc != CD_OK) {
        return rc;
    }
    for (uint32_t i = 0; i < st.n_slots; i++) {
        cd_wire_slot_t slot;
        if (PAYLOAD_MAX - pos < sizeof slot) {
            return CD_E_NOSPACE; /* CD_DUMP_SLOTS_MAX keeps this unreachable */
        }
        rc = cd_dump_slot_info(i, &slot);
        if (rc != CD_OK) {
            return rc;
        }
        cd_copy(rsp + pos, &slot, sizeof slot);
        pos += sizeof slot;
    }
    cd_copy(rsp, &st, sizeof st);
    return (int)pos;
}

static int cmd_dump_read(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_dump_read_t r;

    (void)len;
    cd_copy(&r, req, sizeof r);
    if (r.len > PAYLOAD_MAX) {
        return CD_E_INVAL;
    }
    return cd_dump_read(r.slot, r.offset, rsp, r.len);
}

static int cmd_dump_erase(const uint8_t *req, size_t len, uint8_t *rsp)
{
    cd_wire_dump_erase_t e;

    (void)len;
    (void)rsp;
    cd_copy(&e, req, sizeof e);
    int rc = cd_dump_erase(e.slot, e.flags, e.body_crc);
    return rc < 0 ? rc : 0;
}

static int cmd_fault(const uint8_t *req, size_t len, uint8_t *rsp)
{
    (void)len;
    (void)rsp;
#if CD_ENABLE_FAULT_CMDS
    cd_wire_fault_t f;
    cd_copy(&f, req, sizeof f);
    if (f.kind < CD_FAULT_BAD_READ || f.kind > CD_FAULT_NESTED) {
        return CD_E_INVAL;
    }
    s_fault_requested = f.kind; /* cd_proto_poll() injects it once the OK is sent */
    return 0;
#else
    (void)req;
    return CD_E_UNSUPPORTED;
#endif
}

/* The command table: request code, request payload length, handler. The
 * length is exact, or (CMD_F_MORE) the least, up to PAYLOAD_MAX. A handler
 * that must act after its response is sent sets a flag for cd_proto_poll(),
 * as RESET and FAULT do. FAULT is always listed so a build without
 * CD_ENABLE_FAULT_CMDS answers UNSUPPORTED rather than UNKNOWN_CMD.
 * Lengths are bytes (8 bytes an entry instead of 12). */
#define CMD_F_MORE 1u
typedef struct {
    uint8_t cmd;
    uint8_t len;
    uint8_t flags;
    cmd_fn fn;
} cmd_entry_t;

#define CMD(code, len, flags, fn) {(code), (uint8_t)(len), (flags), (fn)}
_Static_assert(sizeof(cd_wire_create_t) <= 255u && sizeof(cd_wire_read_t) <= 255u &&
                   sizeof(cd_wire_capture_t) <= 255u && sizeof(cd_wire_page_t) <= 255u &&
                   sizeof(cd_wire_dump_read_t) <= 255u && sizeof(cd_wire_dump_erase_t) <= 255u &&
                   sizeof(cd_wire_fault_t) <= 255u,
               "request lengths are bytes in the command table");

static const cmd_entry_t s_cmds[] = {
    CMD(CD_CMD_INFO, 0, 0, cmd_info),
    CMD(CD_CMD_RESET, 0, 0, cmd_reset),
    CMD(CD_CMD_SRC_CREATE, sizeof(cd_wire_create_t), 0, cmd_src_create),
    CMD(CD_CMD_SRC_OPEN, sizeof(cd_guid_t), 0, cmd_src_open),
    CMD(CD_CMD_SRC_WRITE, sizeof(cd_guid_t), CMD_F_MORE, cmd_src_write),
    CMD(CD_CMD_SRC_READ, sizeof(cd_wire_read_t), 0, cmd_src_read),
    CMD(CD_CMD_SRC_CAPTURE, sizeof(cd_wire_capture_t), 0, cmd_src_capture),
    CMD(CD_CMD_SRC_DESTROY, sizeof(cd_guid_t), 0, cmd_src_destroy),
    CMD(CD_CMD_SRC_LIST, sizeof(cd_wire_page_t), 0, cmd_src_list),
    CMD(CD_CMD_SELF_READ, sizeof(cd_wire_read_t), 0, cmd_self_read),
    CMD(CD_CMD_SELF_CAPTURE, sizeof(cd_wire_capture_t), 0, cmd_self_capture),
    CMD(CD_CMD_TRIAGE_LIST, sizeof(cd_wire_page_t), 0, cmd_triage_list),
    CMD(CD_CMD_DUMP_STATUS, 0, 0, cmd_dump_status),
    CMD(CD_CMD_DUMP_READ, sizeof(cd_wire_dump_read_t), 0, cmd_dump_read),
    CMD(CD_CMD_DUMP_ERASE, sizeof(cd_wire_dump_erase_t), 0, cmd_dump_erase),
    CMD(CD_CMD_FAULT, sizeof(cd_wire_fault_t), 0, cmd_fault),
};

/* Thread. Runs the request in frame[0..len) (CRC already checked) and builds
 * the response in s_tx. Returns the response frame length without the CRC. */
static size_t dispatch(const uint8_t *frame, size_t len)
{
    const uint8_t *req = frame + CD_FRAME_HDR_LEN;
    size_t req_len = len - CD_FRAME_OVERHEAD;
    uint16_t status16;
    int r = CD_E_UNKNOWN_CMD;

    for (size_t i = 0; i < sizeof s_cmds / sizeof s_cmds[0]; i++) {
        if (s_cmds[i].cmd == frame[0]) {
            /* req_len <= PAYLOAD_MAX: the frame fitted the decoder's buffer. */
            if (req_len < s_cmds[i].len ||
                (req_len != s_cmds[i].len && !(s_cmds[i].flags & CMD_F_MORE))) {
                r = CD_E_MALFORMED;
            } else {
                r = s_cmds[i].fn(req, req_len, s_tx + CD_FRAME_HDR_LEN);
            }
            break;
        }
    }
    status16 = (uint16_t)(r < 0 ? r : CD_OK); /* two's complement i16 on the wire */
    s_tx[0] = (uint8_t)(frame[0] | CD_CMD_RESPONSE);
    s_tx[1] = frame[1];
    s_tx[2] = (uint8_t)status16;
    s_tx[3] = (uint8_t)(status16 >> 8);
    return CD_FRAME_HDR_LEN + (r < 0 ? 0u : (size_t)r);
}

/* Thread. cd_frame_encode()'s sink: straight to the port. */
static void tx_sink(void *user, const uint8_t *buf, size_t len)
{
    (void)user;
    cd_port_tx(buf, len);
}

/* Thread. Hands the request buffer back to the ISR. Called exactly once per
 * pending frame, before anything is sent: the host's next request may start
 * the moment our last byte arrives, and the ISR may complete it while
 * cd_port_tx() still runs. After this, s_pending belongs to the ISR again and
 * must not be written by the thread until it is next found set. */
static void release_request(void)
{
    atomic_signal_fence(memory_order_release);
    s_pending = 0;
}

/* Thread. 1 if frame[0..len) (CRC checked) repeats the request s_tx answers. */
static int is_repeat(const uint8_t *frame, size_t len)
{
    return s_last_valid && len == s_last_len &&
           get_le32(frame + len - CD_FRAME_CRC_LEN) == s_last_crc &&
           cd_equal(frame, s_last_hdr, CD_FRAME_HDR_LEN);
}

int cd_proto_poll(void)
{
    const uint8_t *f = s_rx.buf;
    size_t len;
    size_t n;

    if (!s_pending) {
        return 0;
    }
    /* Pairs with the release in cd_proto_rx_byte(): see the whole frame. */
    atomic_signal_fence(memory_order_acquire);
    len = s_rx_len;

    if (len < CD_FRAME_OVERHEAD || len > CD_FRAME_MAX ||
        cd_crc32(0, f, len - CD_FRAME_CRC_LEN) != get_le32(f + len - CD_FRAME_CRC_LEN)) {
        s_rx_errors_thread++; /* corrupt: drop without an answer */
        release_request();
        return 1;
    }
    if (f[0] & CD_CMD_RESPONSE) {
        /* A response, not a request: the line echoes our own output back.
         * Answering would ping-pong forever. */
        s_rx_errors_thread++;
        release_request();
        return 1;
    }
    s_rx_frames++;
    if (is_repeat(f, len)) {
        /* Same request again: its answer is still in s_tx. Executing it
         * again would store a WRITE twice or lose a READ's items. */
        release_request();
        cd_frame_encode(s_tx, s_tx_len, tx_sink, NULL);
        return 1;
    }
    cd_copy(s_last_hdr, f, CD_FRAME_HDR_LEN);
    s_last_len = (uint16_t)len;
    s_last_crc = get_le32(f + len - CD_FRAME_CRC_LEN);
    n = dispatch(f, len);
    put_le32(s_tx + n, cd_crc32(0, s_tx, n));
    s_tx_len = n + CD_FRAME_CRC_LEN;
    s_last_valid = 1;
    /* The request is consumed (its key saved, its answer in s_tx). */
    release_request();
    cd_frame_encode(s_tx, s_tx_len, tx_sink, NULL);
    if (s_reset_requested) {
        s_reset_requested = 0;
        cd_port_reset(); /* does not return on a target */
    }
#if CD_ENABLE_FAULT_CMDS
    if (s_fault_requested != 0) {
        uint32_t kind = s_fault_requested;
        s_fault_requested = 0;
        /* Does not return for a kind this build can raise; the host
         * already has its OK and watches for the reset. */
        (void)cd_fault_inject(kind);
    }
#endif
    return 1;
}

void cd_proto_reset(void)
{
    cd_frame_rx_reset(&s_rx);
    s_pending = 0;
    s_rx_len = 0;
    s_rx_errors_isr = 0;
    s_drop_open = 0;
    s_rx_frames = 0;
    s_rx_errors_thread = 0;
    s_tx_len = 0;
    s_last_valid = 0;
    s_last_len = 0;
    s_last_crc = 0;
    cd_zero(s_last_hdr, sizeof s_last_hdr);
    s_reset_requested = 0;
#if CD_ENABLE_FAULT_CMDS
    s_fault_requested = 0;
#endif
}
