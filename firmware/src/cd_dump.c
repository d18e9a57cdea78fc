/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash dumps: the portable crash path, the dump writer, the slot scan and
 * policy at boot, and the dump commands' back end. Format: docs/dump-format.md.
 *
 * Rules this file keeps (the Memfault / littlefs lessons):
 *  - the crash record (.noinit RAM) is stored before the dump is started;
 *  - the dump size is computed first by running the very same emitter in a
 *    counting mode, so the header's total_len and the truncation decisions
 *    cannot disagree with what is programmed;
 *  - sections are programmed first, the header last: a slot whose header does
 *    not check is not a dump, whatever a power cut left behind;
 *  - the fault path only programs into slots erased at boot (torn slots are
 *    erased ahead of time); the one exception is the 2-slot case with both
 *    slots full, where the newest dump is erased and replaced (the first crash
 *    of a loop is never destroyed);
 *  - bytes read from flash are checked (CRCs, bounds), never trusted or asserted.
 *
 * Each section's header carries the CRC of its data, so the data is read twice
 * when written: a "measure" pass computes length and CRC, then the header and
 * the data are programmed. RAM does not change meanwhile (interrupts are masked).
 * The client's additional-data write callback is the exception: it runs in the
 * counting pass (which saves its section CRC) and once more to program.
 */
#include <stddef.h>

#include "cd_arch.h"
#include "cd_crash.h"
#include "cd_internal.h"
#include "crashdump/cd_port.h"

#define SEC_HDR_LEN ((uint32_t)sizeof(cd_dump_section_t))
#define HDR_LEN ((uint32_t)sizeof(cd_dump_hdr_t))
#define STAGE_LEN 32u /* program unit of the writer: a multiple of every write_size */
#define REC_CRC_LEN ((uint32_t)offsetof(cd_crash_record_t, crc))
#define NO_SLOT 0xFFFFFFFFu
#define DEFAULT_STACK_BYTES 1024u

_Static_assert(HDR_LEN % 8u == 0 && STAGE_LEN % 8u == 0, "program alignment");

/* ------------------------------------------------------------ persistent state */

/* The crash area in .noinit: the record (its own CRC) and the count of crashes
 * whose dump could not be stored (CRC over magic and dropped). */
#define AREA_MAGIC 0x50524443u /* "CDRP" */
typedef struct {
    cd_crash_record_t rec;
    uint32_t magic;
    uint32_t dropped;
    uint32_t crc;
} cd_crash_area_t;

static cd_crash_area_t s_area CD_NOINIT;

/* RAM state, zeroed at startup; valid after cd_dump_boot(). */
static struct {
    int ready;
    uint32_t n_slots;
    uint32_t slot_size;
    uint32_t write_size;
    uint32_t erase_size;
    uint8_t state[CD_DUMP_SLOTS_MAX]; /* CD_SLOT_* */
    uint32_t victim;                  /* pick_victim() as of the end of boot */
} s_d;

/* For debug probes: found by symbol, filled by cd_dump_boot() (cd_format.h). */
cd_dump_locator_t cd_dump_locator;

static volatile uint32_t s_entries; /* cd_crash_handle() entries since boot */
static volatile uint32_t s_stage;   /* stage reached by the first entry */
static volatile int s_crashing;
volatile uint32_t cd_fault_injecting;

uint32_t cd_fault_injected(void)
{
#if CD_ENABLE_FAULT_CMDS
    return cd_fault_injecting;
#else
    return 0;
#endif
}

int cd_dump_crashing(void)
{
    return s_crashing;
}

void *cd_dump_noinit_area(size_t *len)
{
    *len = sizeof s_area;
    return &s_area;
}

static int rec_ok(const cd_crash_record_t *r)
{
    return r->magic == CD_CRASH_MAGIC && cd_crc32(0, r, REC_CRC_LEN) == r->crc;
}

static void rec_seal(void)
{
    s_area.rec.crc = cd_crc32(0, &s_area.rec, REC_CRC_LEN);
}

static int area_ok(void)
{
    return s_area.magic == AREA_MAGIC && cd_crc32(0, &s_area.magic, 8u) == s_area.crc;
}

static void area_seal(void)
{
    s_area.magic = AREA_MAGIC;
    s_area.crc = cd_crc32(0, &s_area.magic, 8u);
}

static void set_stage(uint32_t stage)
{
    s_stage = stage;
    s_area.rec.stage = stage;
    rec_seal();
}

static void count_dropped(void)
{
    s_area.dropped++;
    area_seal();
}

/* ------------------------------------------------------------ memory map */

/* Bytes readable from addr to the end of the readable region holding it, 0 if none. */
static uint32_t readable_from(uintptr_t addr)
{
    size_t n = 0;
    const cd_mem_region_t *map = cd_port_memory_map(&n);
    for (size_t i = 0; map != NULL && i < n; i++) {
        const cd_mem_region_t *m = &map[i];
        if ((m->flags & CD_MEM_READ) != 0 && addr >= m->start && addr - m->start < m->len) {
            size_t left = m->len - (addr - m->start);
            return left > UINT32_MAX ? UINT32_MAX : (uint32_t)left;
        }
    }
    return 0;
}

int cd_mem_readable(uintptr_t addr, uint32_t len)
{
    return len != 0 && readable_from(addr) >= len;
}

/* ------------------------------------------------------------ config and slots */

/* The slot size: the partition shared by `slots`, rounded down to erase units. */
static uint32_t slot_size_of(const cd_flash_geometry_t *g, uint32_t slots)
{
    return cd_udiv(cd_udiv(g->size, slots), g->erase_size) * g->erase_size;
}

int cd_dump_config_check(const cd_config_t *cfg)
{
    uint32_t slots = cfg->dump_slots == 0 ? 2u : cfg->dump_slots;
    const cd_flash_geometry_t *g = cd_port_flash_geometry();
    if (slots < 2u || slots > CD_DUMP_SLOTS_MAX || g == NULL) {
        return CD_E_CONFIG;
    }
    uint32_t ws = g->write_size;
    if ((ws != 1u && ws != 2u && ws != 4u && ws != 8u) || g->erase_size == 0 ||
        (g->erase_size & (ws - 1u)) != 0 ||
        cd_udiv(g->size, g->erase_size) * g->erase_size != g->size) {
        return CD_E_CONFIG;
    }
    if (slot_size_of(g, slots) < CD_DUMP_SLOT_MIN) {
        return CD_E_CONFIG;
    }
    return CD_OK;
}

static uint32_t slot_off(uint32_t i)
{
    return i * s_d.slot_size;
}

_Static_assert(CD_DUMP_SLOTS_MAX <= CD_LOCATOR_SLOTS, "the locator must cover every slot");

/* Any, fault. Records for debug probes what slot i holds (see cd_format.h). */
static void locator_note(uint32_t i, uint32_t dump_len)
{
    cd_dump_locator.dump_len[i] = dump_len;
    cd_dump_locator.crc = cd_crc32(0, &cd_dump_locator, offsetof(cd_dump_locator_t, crc));
}

/* Reads slot i's header; 1 if it is a well-formed committed header whose
 * total_len fits the slot (the body CRC is not checked here). */
static int hdr_read(uint32_t i, cd_dump_hdr_t *h)
{
    if (cd_port_flash_read(slot_off(i), h, HDR_LEN) != CD_OK) {
        return 0;
    }
    return h->magic == CD_DUMP_MAGIC && h->version == CD_DUMP_VERSION && h->hdr_len == HDR_LEN &&
           cd_crc32(0, h, CD_DUMP_HDR_CRC_LEN) == h->hdr_crc && h->total_len >= HDR_LEN &&
           h->total_len <= s_d.slot_size;
}

/* Thread. Classifies slot i by reading all of it. */
static uint8_t slot_scan(uint32_t i)
{
    cd_dump_hdr_t h;
    uint8_t buf[64];
    if (hdr_read(i, &h)) {
        uint32_t crc = 0;
        for (uint32_t o = HDR_LEN; o < h.total_len;) {
            uint32_t n = h.total_len - o < sizeof buf ? h.total_len - o : (uint32_t)sizeof buf;
            if (cd_port_flash_read(slot_off(i) + o, buf, n) != CD_OK) {
                return CD_SLOT_INVALID;
            }
            crc = cd_crc32(crc, buf, n);
            o += n;
        }
        if (crc == h.body_crc) {
            return CD_SLOT_VALID;
        }
    }
    for (uint32_t o = 0; o < s_d.slot_size; o += sizeof buf) {
        if (cd_port_flash_read(slot_off(i) + o, buf, sizeof buf) != CD_OK) {
            return CD_SLOT_INVALID;
        }
        for (uint32_t k = 0; k < sizeof buf; k++) {
            if (buf[k] != 0xFFu) {
                return CD_SLOT_INVALID;
            }
        }
    }
    return CD_SLOT_EMPTY;
}

/* Any, fault. Erases slot i page by page, first page (the header) first, so a
 * cut erase never leaves an old header over a half-erased body. */
static int slot_erase(uint32_t i)
{
    locator_note(i, 0u);
    s_d.state[i] = CD_SLOT_INVALID;
    for (uint32_t o = 0; o < s_d.slot_size; o += s_d.erase_size) {
        if (cd_port_flash_erase(slot_off(i) + o, s_d.erase_size) != CD_OK) {
            return CD_E_IO;
        }
    }
    s_d.state[i] = CD_SLOT_EMPTY;
    return CD_OK;
}

static uint32_t slot_crash_count(uint32_t i)
{
    cd_dump_hdr_t h;
    return hdr_read(i, &h) ? h.crash_count : 0;
}

/* crash_count wraps at 2^32 like any counter: compare by serial-number
 * arithmetic (RFC 1982), so a crash loop across the wrap keeps its order.
 * The dumps in the slots span far fewer than 2^31 crashes. */
static int cc_before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

/* The slot to sacrifice when none is EMPTY: with 2 slots the newest dump,
 * with 3 or more the oldest dump that is neither the oldest nor the newest.
 * Ties (equal crash counts, only after lost RAM) go by slot index. */
static uint32_t pick_victim(void)
{
    uint32_t cc[CD_DUMP_SLOTS_MAX];
    uint32_t oldest = NO_SLOT, newest = NO_SLOT;
    for (uint32_t i = 0; i < s_d.n_slots; i++) {
        if (s_d.state[i] != CD_SLOT_VALID) {
            return i; /* INVALID: no dump to lose */
        }
        cc[i] = slot_crash_count(i);
        if (oldest == NO_SLOT || cc_before(cc[i], cc[oldest])) {
            oldest = i;
        }
        if (newest == NO_SLOT || !cc_before(cc[i], cc[newest])) {
            newest = i;
        }
    }
    if (s_d.n_slots < 3u || oldest == newest) {
        return newest;
    }
    uint32_t v = NO_SLOT;
    for (uint32_t i = 0; i < s_d.n_slots; i++) {
        if (i != oldest && i != newest && (v == NO_SLOT || cc_before(cc[i], cc[v]))) {
            v = i;
        }
    }
    return v;
}

/* Any, fault. Frees the slot the policy picked. A VALID dump erased here is a
 * crash lost to the policy: counted in `dropped` before the erase starts. */
static int victim_erase(uint32_t i)
{
    if (s_d.state[i] == CD_SLOT_VALID) {
        count_dropped();
    }
    return slot_erase(i);
}

/* The first slot in `state`, NO_SLOT if none. */
static uint32_t find_slot(uint8_t state)
{
    for (uint32_t i = 0; i < s_d.n_slots; i++) {
        if (s_d.state[i] == state) {
            return i;
        }
    }
    return NO_SLOT;
}

static uint32_t find_empty(void)
{
    return find_slot(CD_SLOT_EMPTY);
}

void cd_dump_boot(const cd_config_t *cfg)
{
    const cd_flash_geometry_t *g = cd_port_flash_geometry();
    s_entries = 0;
    s_crashing = 0;
    s_stage = 0;
    s_d.ready = 0;
    s_d.n_slots = cfg->dump_slots == 0 ? 2u : cfg->dump_slots;
    s_d.slot_size = slot_size_of(g, s_d.n_slots);
    s_d.write_size = g->write_size;
    s_d.erase_size = g->erase_size;
    cd_dump_locator.magic = CD_LOCATOR_MAGIC;
    cd_dump_locator.partition_base = g->base;
    cd_dump_locator.slot_size = s_d.slot_size;
    cd_dump_locator.n_slots = s_d.n_slots;
    cd_dump_locator.erase_size = s_d.erase_size;
    cd_zero(cd_dump_locator.dump_len, sizeof cd_dump_locator.dump_len);
    cd_dump_locator.crc = cd_crc32(0, &cd_dump_locator, offsetof(cd_dump_locator_t, crc));

    uint32_t max_cc = 0;
    int any = 0;
    for (uint32_t i = 0; i < s_d.n_slots; i++) {
        s_d.state[i] = slot_scan(i);
        cd_dump_hdr_t h;
        if (s_d.state[i] == CD_SLOT_VALID && hdr_read(i, &h)) {
            if (!any || cc_before(max_cc, h.crash_count)) {
                max_cc = h.crash_count;
            }
            any = 1;
            locator_note(i, h.total_len);
        }
    }

    /* Lost RAM (power cycle): start the crash counter after the newest dump,
     * so crash counts keep ordering the slots. */
    if (!rec_ok(&s_area.rec)) {
        cd_zero(&s_area.rec, sizeof s_area.rec);
        s_area.rec.magic = CD_CRASH_MAGIC;
        s_area.rec.crash_count = max_cc;
        s_area.rec.slot = NO_SLOT;
        rec_seal();
    } else if (any && cc_before(s_area.rec.crash_count, max_cc)) {
        s_area.rec.crash_count = max_cc;
        rec_seal();
    }
    if (!area_ok()) {
        s_area.dropped = 0;
        area_seal();
    }

    /* For the crash path, which then needs neither pick_victim() nor header
     * reads. Only a crash (followed by a reset and this boot again) makes a
     * slot VALID or changes a header, so while every slot stays VALID this
     * stays the choice pick_victim() would make; other changes (an erase,
     * such as the ones just below, or a failed one) leave an EMPTY or INVALID
     * slot, which write_dump() takes first, as pick_victim() would. */
    s_d.victim = pick_victim();
    /* Ready before any erase: a fault during one of these erases takes the
     * crash path, which finds the slot INVALID (slot_erase() marks it so
     * first), erases it itself and writes its dump there. */
    s_d.ready = 1;
    for (uint32_t i = 0; i < s_d.n_slots; i++) {
        if (s_d.state[i] == CD_SLOT_INVALID) {
            (void)slot_erase(i); /* stays INVALID if the erase fails */
        }
    }
    if (find_empty() == NO_SLOT && s_d.n_slots >= 3u) {
        (void)victim_erase(s_d.victim);
    }
}

/* ------------------------------------------------------------ the dump writer */

enum { MODE_COUNT = 0, MODE_WRITE = 1 };
enum { PH_MEASURE = 0, PH_PROGRAM = 1 };

struct cd_writer {
    int mode;            /* MODE_* */
    int phase;           /* PH_* within a section */
    uint32_t base;       /* partition offset of the slot */
    uint32_t slot;       /* its index (NO_SLOT while counting) */
    uint32_t limit;      /* slot size */
    uint32_t pos;        /* dump bytes so far, header included */
    uint32_t body_crc;
    uint32_t flags;      /* CD_DUMP_F_* gathered while writing */
    uint16_t n_sections;
    int stop;            /* a section was cut: the rest are dropped */
    int err;             /* first flash error */
    int in_flash_op;
    /* current section */
    uint32_t sec_budget, sec_full, sec_crc;
    uint32_t add_left;   /* additional-data bytes the client may still put */
    /* programming */
    uint8_t stage[STAGE_LEN];
    uint32_t stage_len;
    uint32_t stage_off;  /* slot-relative offset of stage[0] */
    /* last complete section, for a nested fault */
    uint32_t done_pos, done_crc;
    uint16_t done_n;
    int started;         /* MODE_WRITE has begun programming the slot */
};

static struct cd_writer s_w;
static const cd_crash_ctx_t *s_ctx;
static uint32_t s_nested_stage; /* stage the first entry reached, 0 if no nested fault */
static uint32_t s_add_len, s_add_crc, s_add_full; /* additional data: queried, counted */

static void program(struct cd_writer *w, uint32_t off, const void *data, uint32_t len)
{
    if (w->err != CD_OK) {
        return;
    }
    w->in_flash_op = 1;
    int rc = cd_port_flash_program(w->base + off, data, len);
    w->in_flash_op = 0;
    if (rc != CD_OK) {
        w->err = CD_E_IO;
    }
}

static void stage_flush(struct cd_writer *w)
{
    if (w->stage_len == 0) {
        return;
    }
    uint32_t n = (w->stage_len + s_d.write_size - 1u) & ~(s_d.write_size - 1u);
    cd_zero(w->stage + w->stage_len, n - w->stage_len);
    program(w, w->stage_off, w->stage, n);
    w->stage_off += n;
    w->stage_len = 0;
}

/* Appends dump bytes (after the header): programs them through the stage and
 * adds them to the body CRC. */
static void out(struct cd_writer *w, const void *data, uint32_t len)
{
    const uint8_t *p = data;
    w->body_crc = cd_crc32(w->body_crc, p, len);
    w->pos += len;
    while (len != 0) {
        uint32_t n = STAGE_LEN - w->stage_len;
        n = n < len ? n : len;
        cd_copy(w->stage + w->stage_len, p, n);
        w->stage_len += n;
        p += n;
        len -= n;
        if (w->stage_len == STAGE_LEN) {
            stage_flush(w);
        }
    }
}

/* Section data: counted in full (to detect a cut), but only the first
 * sec_budget bytes are CRCed or programmed. */
static void sec_put(struct cd_writer *w, const void *data, uint32_t len)
{
    uint32_t off = w->sec_full;
    w->sec_full = len > UINT32_MAX - off ? UINT32_MAX : off + len;
    if (off >= w->sec_budget) {
        return;
    }
    uint32_t take = w->sec_budget - off < len ? w->sec_budget - off : len;
    if (w->phase == PH_MEASURE) {
        w->sec_crc = cd_crc32(w->sec_crc, data, take);
    } else {
        out(w, data, take);
    }
}

static void sec_zeros(struct cd_writer *w, uint32_t len)
{
    static const uint8_t zeros[16];
    while (len != 0) {
        uint32_t n = len < sizeof zeros ? len : (uint32_t)sizeof zeros;
        sec_put(w, zeros, n);
        len -= n;
    }
}

typedef void (*sec_fn)(struct cd_writer *w, const void *arg);

/* Emits one section: measure (length, CRC, cut), then in MODE_WRITE program
 * its header, data and padding. The same code runs in MODE_COUNT. */
static void section(struct cd_writer *w, uint16_t type, uint16_t flags, sec_fn fn, const void *arg)
{
    if (w->stop || w->err != CD_OK) {
        return;
    }
    uint32_t room = w->limit - w->pos;
    if (room < SEC_HDR_LEN + 4u) {
        w->stop = 1;
        w->flags |= CD_DUMP_F_TRUNCATED;
        return;
    }
    w->sec_budget = (room - SEC_HDR_LEN) & ~3u;
    w->sec_full = 0;
    w->sec_crc = 0;
    w->phase = PH_MEASURE;
    fn(w, arg);
    uint32_t len = w->sec_full;
    if (len > w->sec_budget) {
        len = w->sec_budget;
        flags |= CD_SEC_F_TRUNCATED;
        w->flags |= CD_DUMP_F_TRUNCATED;
        w->stop = 1;
    }
    cd_dump_section_t sh = {type, flags, len, w->sec_crc};
    uint32_t pad = (4u - (len & 3u)) & 3u;
    if (w->mode == MODE_WRITE) {
        out(w, &sh, SEC_HDR_LEN);
        w->phase = PH_PROGRAM;
        w->sec_full = 0;
        fn(w, arg);
        static const uint8_t zeros[4];
        out(w, zeros, pad);
    } else {
        w->pos += SEC_HDR_LEN + len + pad;
    }
    w->n_sections++;
    w->done_pos = w->pos;
    w->done_crc = w->body_crc;
    w->done_n = w->n_sections;
}

/* ---- section producers */

typedef struct {
    const void *p;
    uint32_t len;
} blob_t;

static void put_blob(struct cd_writer *w, const void *arg)
{
    const blob_t *b = arg;
    sec_put(w, b->p, b->len);
}

/* STACK and TRIAGE: cd_dump_mem_t, then the bytes if readable. */
typedef struct {
    uintptr_t addr;
    uint32_t len; /* 0: unreadable */
} mem_arg_t;

static void put_mem(struct cd_writer *w, const void *arg)
{
    const mem_arg_t *m = arg;
    cd_dump_mem_t mh = {(uint32_t)m->addr, m->len, m->len != 0 ? CD_OK : CD_E_TRIAGE_RANGE, 0};
    sec_put(w, &mh, sizeof mh);
    if (m->len != 0) {
        sec_put(w, (const void *)m->addr, m->len);
    }
}

static void put_ring(struct cd_writer *w, const void *arg)
{
    const cd_ring_t *r = arg;
    const cd_dump_ring_t where = {(uint32_t)(uintptr_t)&r->hdr, 0u};
    sec_put(w, &where, sizeof where);
    sec_put(w, &r->hdr, sizeof r->hdr);
    sec_put(w, r + 1, r->hdr.count * r->hdr.stride);
}

static void put_additional(struct cd_writer *w, const void *arg)
{
    const cd_config_t *cfg = arg;
    if (w->mode == MODE_WRITE && w->phase == PH_MEASURE) {
        /* The counting pass ran the client and saved length and CRC. */
        w->sec_full = s_add_full;
        w->sec_crc = s_add_crc;
        return;
    }
    sec_put(w, &cfg->additional_guid, sizeof cfg->additional_guid);
    w->add_left = s_add_len;
    set_stage(CD_STAGE_ADDITIONAL);
    cfg->additional_write(cfg->user, w);
    set_stage(w->mode == MODE_WRITE ? CD_STAGE_WRITE : CD_STAGE_ADDITIONAL);
    sec_zeros(w, w->add_left); /* fewer bytes than promised: zero-filled */
    w->add_left = 0;
    if (w->mode == MODE_COUNT) {
        s_add_full = w->sec_full;
        s_add_crc = w->sec_crc;
    }
}

int cd_writer_put(cd_writer_t *w, const void *data, size_t len)
{
    if (w == NULL || (data == NULL && len != 0)) {
        return CD_E_INVAL;
    }
    uint32_t n = len < w->add_left ? (uint32_t)len : w->add_left;
    sec_put(w, data, n);
    w->add_left -= n;
    return n == len ? CD_OK : CD_E_NOSPACE;
}

/* Every section, in the documented order. */
static void emit_all(struct cd_writer *w, const cd_crash_ctx_t *ctx, const cd_config_t *cfg)
{
    blob_t b = {&ctx->regs, sizeof ctx->regs};
    section(w, CD_SEC_REGS, 0, put_blob, &b);
    b.p = &ctx->fault;
    b.len = sizeof ctx->fault;
    section(w, CD_SEC_FAULT, 0, put_blob, &b);
    if (ctx->flags & CD_DUMP_F_FPU) {
        b.p = &ctx->fpu;
        b.len = sizeof ctx->fpu;
        section(w, CD_SEC_FPU, 0, put_blob, &b);
    }

    mem_arg_t m = {ctx->regs.sp, 0};
    if (!(ctx->flags & CD_DUMP_F_BAD_SP)) {
        uint32_t want = cfg->stack_dump_bytes == 0 ? DEFAULT_STACK_BYTES : cfg->stack_dump_bytes;
        uint32_t avail = readable_from(m.addr);
        m.len = avail < want ? avail : want;
    }
    section(w, CD_SEC_STACK, 0, put_mem, &m);

    section(w, CD_SEC_RING, CD_SEC_F_SELF, put_ring, cd_self_ring());
    cd_ring_t *r;
    for (uint32_t i = 0; (r = cd_source_at(i, NULL)) != NULL; i++) {
        section(w, CD_SEC_RING, 0, put_ring, r);
    }

    if (s_add_len != 0) {
        section(w, CD_SEC_ADDITIONAL, 0, put_additional, cfg);
    }

    const cd_triage_range_t *t;
    for (uint32_t i = 0; (t = cd_triage_at(i, NULL)) != NULL; i++) {
        m.addr = t->addr;
        m.len = (t->len <= UINT32_MAX && cd_mem_readable(t->addr, (uint32_t)t->len))
                    ? (uint32_t)t->len
                    : 0;
        section(w, CD_SEC_TRIAGE, 0, put_mem, &m);
    }
}

static void writer_start(struct cd_writer *w, int mode, uint32_t slot)
{
    cd_zero(w, sizeof *w);
    w->mode = mode;
    w->slot = slot;
    w->base = slot == NO_SLOT ? 0 : slot_off(slot);
    w->limit = s_d.slot_size;
    w->pos = HDR_LEN;
    w->stage_off = HDR_LEN;
    w->done_pos = HDR_LEN;
    w->err = CD_OK;
}

/* Programs the header over what the writer completed: the commit. */
static void commit(struct cd_writer *w, const cd_crash_ctx_t *ctx, const cd_config_t *cfg,
                   uint32_t extra_flags)
{
    cd_dump_hdr_t h;
    cd_zero(&h, sizeof h);
    h.magic = CD_DUMP_MAGIC;
    h.version = CD_DUMP_VERSION;
    h.hdr_len = HDR_LEN;
    h.total_len = w->done_pos;
    h.body_crc = w->done_crc;
    h.crash_count = s_area.rec.crash_count;
    h.boot_count = cd_boot_count();
    h.reason = ctx->reason;
    h.code = ctx->code;
    cd_copy(h.param, ctx->param, sizeof h.param);
    h.flags = (ctx->flags & (CD_DUMP_F_BAD_SP | CD_DUMP_F_FPU)) | w->flags | extra_flags;
    h.stage = s_nested_stage != 0 ? s_nested_stage : s_stage;
    h.cpuid = ctx->cpuid;
    h.arch = ctx->arch;
    h.n_sections = w->done_n;
    size_t id_len = 0;
    const uint8_t *id = cd_port_build_id(&id_len);
    if (id == NULL) {
        id_len = 0;
    }
    id_len = id_len > CD_BUILD_ID_MAX ? CD_BUILD_ID_MAX : id_len;
    h.build_id_len = (uint8_t)id_len;
    if (id_len != 0) {
        cd_copy(h.build_id, id, id_len);
    }
    /* strncpy(), NUL-padded (h is zeroed), without the C library. */
    const char *name = cfg->component_name;
    for (size_t k = 0; name != NULL && k < sizeof h.component - 1u && name[k] != '\0'; k++) {
        h.component[k] = name[k];
    }
    h.hdr_crc = cd_crc32(0, &h, CD_DUMP_HDR_CRC_LEN);
    set_stage(CD_STAGE_COMMIT);
    program(w, 0, &h, HDR_LEN);
}

/* Picks and prepares a slot, writes every section, commits. Returns the
 * result for the crash record and sets *slot. */
static int write_dump(const cd_crash_ctx_t *ctx, const cd_config_t *cfg, uint32_t extra_flags,
                      uint32_t *slot)
{
    struct cd_writer *w = &s_w;
    *slot = NO_SLOT;

    /* Counting pass: the total and the cuts, by the same emitter. */
    writer_start(w, MODE_COUNT, NO_SLOT);
    emit_all(w, ctx, cfg);
    uint32_t total = w->pos;

    set_stage(CD_STAGE_WRITE);
    uint32_t i = find_empty();
    if (i == NO_SLOT) {
        /* pick_victim(): a slot without a dump first, else the victim. */
        i = find_slot(CD_SLOT_INVALID);
        i = i != NO_SLOT ? i : s_d.victim;
        if (victim_erase(i) != CD_OK) {
            return CD_E_IO;
        }
    }
    s_d.state[i] = CD_SLOT_INVALID; /* being written */
    locator_note(i, total);         /* before the first byte: a probe never misses it */
    *slot = i;
    writer_start(w, MODE_WRITE, i);
    w->started = 1;
    emit_all(w, ctx, cfg);
    stage_flush(w);
    if (w->err != CD_OK) {
        return w->err;
    }
    if (w->pos != total) {
        return CD_E_CORRUPT; /* RAM changed under us: do not commit a lie */
    }
    commit(w, ctx, cfg, extra_flags);
    if (w->err != CD_OK) {
        return w->err;
    }
    s_d.state[i] = CD_SLOT_VALID;
    return CD_OK;
}

static __attribute__((noreturn)) void finish(int result, uint32_t slot)
{
    if (result != CD_OK) {
        count_dropped();
    }
    s_area.rec.result = result;
    s_area.rec.slot = slot;
    s_stage = CD_STAGE_DONE;
    s_area.rec.stage = CD_STAGE_DONE;
    rec_seal();
    cd_arch_reset();
}

/* Second entry: a fault inside the crash path. */
static __attribute__((noreturn)) void crash_nested(void)
{
    const cd_config_t *cfg = cd_core_config();
    const cd_crash_ctx_t *ctx = s_ctx;
    if (cfg == NULL || ctx == NULL || s_stage == CD_STAGE_COMMIT || s_w.in_flash_op) {
        cd_arch_reset(); /* nothing sensible left to do; the record tells the stage */
    }
    s_nested_stage = s_stage;
    s_area.rec.stage = s_stage;
    rec_seal();
    if (s_w.mode == MODE_WRITE && s_w.started) {
        /* Commit what was completed: the bytes of the cut section past
         * done_pos are programmed but not covered by total_len. */
        struct cd_writer *w = &s_w;
        w->err = CD_OK;
        stage_flush(w);
        commit(w, ctx, cfg, CD_DUMP_F_NESTED | CD_DUMP_F_TRUNCATED);
        uint32_t slot = w->slot; /* no division: Cortex-M0 would pull in libgcc's */
        if (w->err == CD_OK) {
            s_d.state[slot] = CD_SLOT_VALID;
        }
        finish(w->err, slot);
    }
    /* Faulted before writing (a client callback): write the dump without the
     * client's callbacks. */
    s_add_len = 0;
    uint32_t slot;
    int rc = write_dump(ctx, cfg, CD_DUMP_F_NESTED, &slot);
    finish(rc, slot);
}

void cd_crash_handle(cd_crash_ctx_t *ctx)
{
    uint32_t entry = ++s_entries;
    if (entry == 2u) {
        crash_nested();
    }
    if (entry > 2u) {
        cd_arch_reset();
    }
    s_ctx = ctx;
    cd_zero(&s_w, sizeof s_w); /* nothing written yet (see crash_nested) */
    s_nested_stage = 0;
    s_crashing = 1;
    s_add_len = 0;
    s_stage = CD_STAGE_ENTRY;

    /* The record first: whatever happens next, the reason is kept. */
    cd_crash_record_t *rec = &s_area.rec;
    if (!rec_ok(rec)) {
        cd_zero(rec, sizeof *rec);
        rec->magic = CD_CRASH_MAGIC;
    }
    if (!area_ok()) {
        s_area.dropped = 0;
        area_seal();
    }
    rec->crash_count++;
    rec->consecutive++;
    rec->reason = ctx->reason;
    rec->code = ctx->code;
    rec->pc = ctx->regs.pc;
    rec->lr = ctx->regs.lr;
    rec->result = CD_E_NO_DUMP;
    rec->slot = NO_SLOT;
    set_stage(CD_STAGE_RECORD);

    const cd_config_t *cfg = cd_core_config();
    if (cfg == NULL || !s_d.ready) {
        finish(CD_E_STATE, NO_SLOT);
    }

    if (cfg->triage_cb != NULL) {
        set_stage(CD_STAGE_TRIAGE);
        cfg->triage_cb(cfg->user, ctx->code, ctx->param[0], ctx->param[1], ctx->param[2],
                       ctx->param[3]);
    }
    if (cfg->additional_query != NULL) {
        set_stage(CD_STAGE_ADDITIONAL);
        size_t n = cfg->additional_query(cfg->user);
        s_add_len = n > s_d.slot_size ? s_d.slot_size : (uint32_t)n;
    }

    if (cfg->crash_loop_limit != 0 && rec->consecutive > cfg->crash_loop_limit) {
        finish(CD_E_STATE, NO_SLOT); /* crash loop: dump skipped */
    }

    uint32_t slot;
    int rc = write_dump(ctx, cfg, 0, &slot);
    finish(rc, slot);
}

/* ------------------------------------------------------------ thread API */

void cd_mark_healthy(void)
{
    uint32_t key = cd_arch_irq_lock();
    if (rec_ok(&s_area.rec)) {
        s_area.rec.consecutive = 0;
        rec_seal();
    }
    cd_arch_irq_unlock(key);
}

uint32_t cd_crash_loop_count(void)
{
    return rec_ok(&s_area.rec) ? s_area.rec.consecutive : 0;
}

int cd_last_crash(cd_crash_record_t *out)
{
    if (!rec_ok(&s_area.rec) || s_area.rec.reason == 0) {
        return CD_E_NOT_FOUND;
    }
    *out = s_area.rec;
    return CD_OK;
}

int cd_dump_status(cd_wire_dump_status_t *st)
{
    cd_zero(st, sizeof *st);
    if (!s_d.ready) {
        return CD_E_STATE;
    }
    st->partition_base = (uint32_t)cd_port_flash_geometry()->base;
    st->slot_size = s_d.slot_size;
    st->n_slots = (uint16_t)s_d.n_slots;
    st->dropped = area_ok() ? s_area.dropped : 0;
    if (rec_ok(&s_area.rec) && s_area.rec.reason != 0) {
        st->record_valid = 1;
        cd_copy(st->record, &s_area.rec, sizeof st->record);
    }
    return CD_OK;
}

int cd_dump_slot_info(uint32_t i, cd_wire_slot_t *out)
{
    cd_zero(out, sizeof *out);
    if (!s_d.ready) {
        return CD_E_STATE;
    }
    if (i >= s_d.n_slots) {
        return CD_E_INVAL;
    }
    out->state = s_d.state[i];
    cd_dump_hdr_t h;
    if (out->state == CD_SLOT_VALID) {
        if (!hdr_read(i, &h)) {
            out->state = CD_SLOT_INVALID; /* changed under us: report, do not trust */
            return CD_OK;
        }
        out->total_len = h.total_len;
        out->crash_count = h.crash_count;
        out->reason = h.reason;
        out->code = h.code;
        out->body_crc = h.body_crc;
        out->flags = h.flags;
    }
    return CD_OK;
}

int cd_dump_read(uint32_t slot, uint32_t offset, void *buf, uint32_t len)
{
    if (!s_d.ready) {
        return CD_E_STATE;
    }
    if (slot >= s_d.n_slots) {
        return CD_E_INVAL;
    }
    uint32_t end = s_d.slot_size;
    if (s_d.state[slot] == CD_SLOT_EMPTY) {
        return CD_E_NO_DUMP;
    }
    if (s_d.state[slot] == CD_SLOT_VALID) {
        cd_dump_hdr_t h;
        if (!hdr_read(slot, &h)) {
            return CD_E_CORRUPT;
        }
        end = h.total_len;
    }
    if (offset > end) {
        return CD_E_INVAL;
    }
    uint32_t n = end - offset < len ? end - offset : len;
    if (n > (uint32_t)INT32_MAX) {
        n = INT32_MAX;
    }
    if (n != 0 && cd_port_flash_read(slot_off(slot) + offset, buf, n) != CD_OK) {
        return CD_E_IO;
    }
    return (int)n;
}

int cd_dump_erase(uint32_t slot, uint32_t flags, uint32_t body_crc)
{
    if (!s_d.ready) {
        return CD_E_STATE;
    }
    if (slot >= s_d.n_slots) {
        return CD_E_INVAL;
    }
    if (!(flags & CD_ERASE_F_FORCE)) {
        cd_dump_hdr_t h;
        if (s_d.state[slot] == CD_SLOT_EMPTY) {
            return CD_E_NO_DUMP;
        }
        if (s_d.state[slot] != CD_SLOT_VALID || !hdr_read(slot, &h) || h.body_crc != body_crc) {
            return CD_E_STATE;
        }
    }
    return slot_erase(slot);
}
