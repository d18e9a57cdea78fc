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

/* RAM state, zeroed at startup; valid after cd_dump_boot(). Fault-critical,
 * so bracketed by guard words (dump_intact()). */
static struct {
    uint32_t guard_lo;
    volatile uint32_t entries;  /* cd_crash_handle() entries since boot */
    volatile uint32_t stage;    /* stage reached by the first entry */
    volatile int crashing;
    int ready;
    uint32_t n_slots;
    uint32_t slot_size;
    uint32_t write_size;
    uint32_t erase_size;
    uint8_t state[CD_DUMP_SLOTS_MAX]; /* CD_SLOT_* */
    uint32_t victim;                  /* pick_victim() as of the end of boot */
    uint32_t guard_hi;
} s_d;

/* For debug probes: found by symbol, filled by cd_dump_boot() (cd_format.h). */
cd_dump_locator_t cd_dump_locator;

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
    return s_d.crashing;
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
    s_d.stage = stage;
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
    s_d.guard_lo = CD_GUARD_LO;
    s_d.guard_hi = CD_GUARD_HI;
    s_d.entries = 0;
    s_d.crashing = 0;
    s_d.stage = 0;
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
    uint32_t flags;      /* CD_DUMP_F_* gathered while writing */
    uint16_t n_sections;
    int stop;            /* a section was cut: the rest are dropped */
    int err;             /* first flash error */
    int in_flash_op;
    /* current section */
    uint32_t sec_budget, sec_full, sec_crc;
    uint32_t add_left;   /* additional-data bytes the client may still put */
    /* programming: bytes are copied into the stage (or the hold), CRCed
     * there and programmed from there, so what a CRC covers is exactly what
     * reaches flash even if the memory being dumped changes meanwhile */
    uint8_t stage[STAGE_LEN];
    uint32_t stage_len;
    uint32_t stage_off;  /* slot-relative offset of stage[0] */
    /* The current section's header, held back (with the write units it
     * shares with its neighbours) until its data is written and its CRC
     * known: hold[0, hold_end) is programmed at hold_off once full. */
    uint8_t hold[32];
    uint32_t hold_off, hold_len, hold_end, hold_crc_at;
    int holding;
    /* CRC of the bytes no section CRC covers (section headers but their CRC
     * fields, padding): with the section CRCs, what flash must hold */
    uint32_t intent;
    /* last complete section, for a nested fault */
    uint32_t done_pos, done_intent;
    uint16_t done_n;
    int started;         /* MODE_WRITE has begun programming the slot */
};

static struct cd_writer s_w;
static const cd_crash_ctx_t *s_ctx;
static uint32_t s_nested_stage; /* stage the first entry reached, 0 if no nested fault */
static uint32_t s_add_len, s_add_full; /* additional data: queried, counted */

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

/* Appends dump bytes (after the header): copies them into the hold or the
 * stage, adds the copy to the section CRC when `sec` is set, and programs
 * the stage whenever it is full. Each byte is read from its source once. */
static void out(struct cd_writer *w, const void *data, uint32_t len, int sec)
{
    const uint8_t *p = data;
    w->pos += len;
    while (len != 0) {
        uint8_t *dst;
        uint32_t n;
        if (w->holding && w->hold_len < w->hold_end) {
            dst = w->hold + w->hold_len;
            n = w->hold_end - w->hold_len;
        } else {
            dst = w->stage + w->stage_len;
            n = STAGE_LEN - w->stage_len;
        }
        n = n < len ? n : len;
        cd_copy(dst, p, n);
        if (sec) {
            w->sec_crc = cd_crc32(w->sec_crc, dst, n);
        } else {
            w->intent = cd_crc32(w->intent, dst, n); /* padding: no section CRC covers it */
        }
        if (dst == w->stage + w->stage_len) {
            w->stage_len += n;
        } else {
            w->hold_len += n;
        }
        p += n;
        len -= n;
        if (w->stage_len == STAGE_LEN) {
            stage_flush(w);
        }
    }
}

/* MODE_WRITE: a section header at w->pos, its CRC not known yet. Programs the
 * stage's whole write units; its partial tail and the header go to the hold,
 * which the section's first data bytes then fill up to a write unit. */
static void sec_begin(struct cd_writer *w, const cd_dump_section_t *sh)
{
    uint32_t whole = w->stage_len & ~(s_d.write_size - 1u);
    if (whole != 0) {
        program(w, w->stage_off, w->stage, whole);
    }
    uint32_t tail = w->stage_len - whole;
    cd_copy(w->hold, w->stage + whole, tail);
    cd_copy(w->hold + tail, sh, SEC_HDR_LEN);
    w->intent = cd_crc32(w->intent, w->hold + tail, (uint32_t)offsetof(cd_dump_section_t, crc));
    w->hold_off = w->stage_off + whole;
    w->hold_crc_at = tail + (uint32_t)offsetof(cd_dump_section_t, crc);
    w->hold_len = tail + SEC_HDR_LEN;
    w->hold_end = (w->hold_len + s_d.write_size - 1u) & ~(s_d.write_size - 1u);
    w->holding = 1;
    w->stage_len = 0;
    w->stage_off = w->hold_off + w->hold_end;
    w->pos += SEC_HDR_LEN;
}

/* MODE_WRITE: the section's data is written; its CRC goes into the held
 * header, which is programmed now (or, for a section too short to fill the
 * hold, handed back to the stage as its first bytes). */
static void sec_end(struct cd_writer *w)
{
    cd_copy(w->hold + w->hold_crc_at, &w->sec_crc, sizeof w->sec_crc);
    if (w->hold_len == w->hold_end) {
        program(w, w->hold_off, w->hold, w->hold_end);
    } else {
        cd_copy(w->stage, w->hold, w->hold_len);
        w->stage_len = w->hold_len;
        w->stage_off = w->hold_off;
    }
    w->holding = 0;
}

/* Everything still in RAM to flash (a held header as it stands: only a
 * nested fault leaves one, past the last complete section). */
static void flush_all(struct cd_writer *w)
{
    if (w->holding) {
        cd_zero(w->hold + w->hold_len, w->hold_end - w->hold_len);
        program(w, w->hold_off, w->hold, w->hold_end);
        w->holding = 0;
    }
    stage_flush(w);
}

/* Reads [HDR_LEN, end) back from flash: the body CRC of what was programmed,
 * every one of its n sections checked against its own CRC (the check a host
 * makes), and the bytes between them (headers, padding) against `intent`. CD_OK, CD_E_IO, or
 * CD_E_CORRUPT if flash does not hold what was written. Uses the (flushed)
 * stage as its buffer. */
static int readback(struct cd_writer *w, uint32_t end, uint16_t n, uint32_t intent,
                    uint32_t *body_crc)
{
    uint32_t crc = 0, pos = HDR_LEN, seen = 0;
    for (uint16_t k = 0; k < n; k++) {
        cd_dump_section_t sh;
        if (end - pos < SEC_HDR_LEN ||
            cd_port_flash_read(w->base + pos, &sh, SEC_HDR_LEN) != CD_OK) {
            return CD_E_CORRUPT;
        }
        crc = cd_crc32(crc, &sh, SEC_HDR_LEN);
        seen = cd_crc32(seen, &sh, (uint32_t)offsetof(cd_dump_section_t, crc));
        pos += SEC_HDR_LEN;
        uint32_t len = (sh.len + 3u) & ~3u, sec = 0;
        if (len < sh.len || len > end - pos) {
            return CD_E_CORRUPT;
        }
        for (uint32_t off = 0; off < len;) {
            uint32_t take = len - off < STAGE_LEN ? len - off : STAGE_LEN;
            if (cd_port_flash_read(w->base + pos + off, w->stage, take) != CD_OK) {
                return CD_E_IO;
            }
            crc = cd_crc32(crc, w->stage, take);
            uint32_t data = off >= sh.len ? 0 : (sh.len - off < take ? sh.len - off : take);
            sec = cd_crc32(sec, w->stage, data);
            seen = cd_crc32(seen, w->stage + data, take - data);
            off += take;
        }
        if (sec != sh.crc) {
            return CD_E_CORRUPT;
        }
        pos += len;
    }
    *body_crc = crc;
    return pos == end && seen == intent ? CD_OK : CD_E_CORRUPT;
}

/* Section data: counted in full (to detect a cut), but only the first
 * sec_budget bytes are programmed (and CRCed, as programmed). */
static void sec_put(struct cd_writer *w, const void *data, uint32_t len)
{
    uint32_t off = w->sec_full;
    w->sec_full = len > UINT32_MAX - off ? UINT32_MAX : off + len;
    if (off >= w->sec_budget || w->phase == PH_MEASURE) {
        return;
    }
    uint32_t take = w->sec_budget - off < len ? w->sec_budget - off : len;
    out(w, data, take, 1);
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

/* Emits one section: measure (length, cut), then in MODE_WRITE program its
 * data and padding, and its header once the data's CRC is known. The same
 * code runs in MODE_COUNT. */
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
    w->phase = PH_MEASURE;
    fn(w, arg);
    uint32_t len = w->sec_full;
    if (len > w->sec_budget) {
        len = w->sec_budget;
        flags |= CD_SEC_F_TRUNCATED;
        w->flags |= CD_DUMP_F_TRUNCATED;
        w->stop = 1;
    }
    cd_dump_section_t sh = {type, flags, len, 0u};
    uint32_t pad = (4u - (len & 3u)) & 3u;
    if (w->mode == MODE_WRITE) {
        sec_begin(w, &sh);
        w->phase = PH_PROGRAM;
        w->sec_full = 0;
        w->sec_crc = 0;
        fn(w, arg);
        static const uint8_t zeros[4];
        out(w, zeros, pad, 0);
        sec_end(w);
    } else {
        w->pos += SEC_HDR_LEN + len + pad;
    }
    w->n_sections++;
    w->done_pos = w->pos;
    w->done_intent = w->intent;
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
    /* The slots the header claims, but no further than the storage area: an
     * overwritten header must not send the writer off into other memory. */
    const cd_config_t *cfg = cd_core_config();
    uintptr_t data = (uintptr_t)(r + 1);
    uintptr_t end = (uintptr_t)cfg->storage + cfg->storage_size;
    uint32_t avail = end > data ? (uint32_t)(end - data) : 0u;
    uint32_t len = r->hdr.stride == 0u || r->hdr.count > cd_udiv(avail, r->hdr.stride)
                       ? avail
                       : r->hdr.count * r->hdr.stride;
    sec_put(w, r + 1, len);
}

static void put_additional(struct cd_writer *w, const void *arg)
{
    const cd_config_t *cfg = arg;
    if (w->mode == MODE_WRITE && w->phase == PH_MEASURE) {
        /* The counting pass ran the client and saved the length. */
        w->sec_full = s_add_full;
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
    }
}

/* Bytes from sp that a dump may take: at most `want`, inside one readable
 * region, and below `top` when top is not 0 (the top of sp's stack). */
static uint32_t stack_bytes(uintptr_t sp, uintptr_t top, uint32_t want)
{
    uint32_t avail = readable_from(sp);
    if (top != 0u) {
        uint32_t to_top = top > sp ? (uint32_t)(top - sp) : 0u;
        avail = avail < to_top ? avail : to_top;
    }
    return avail < want ? avail : want;
}

#if CD_THREAD_MAX > 0
/* THREAD: cd_dump_thread_t, then the top of the thread's stack. */
typedef struct {
    const cd_thread_t *t;
    uint32_t sp, flags, len;
} thread_arg_t;

static void put_thread(struct cd_writer *w, const void *arg)
{
    const thread_arg_t *a = arg;
    cd_dump_thread_t th;
    cd_zero(&th, sizeof th);
    th.id = a->t->id;
    for (uint32_t k = 0; a->t->name != NULL && k < CD_LABEL_LEN &&
                         cd_mem_readable((uintptr_t)(a->t->name + k), 1u) && a->t->name[k] != '\0';
         k++) {
        th.name[k] = a->t->name[k];
    }
    th.stack_lo = (uint32_t)a->t->stack_lo;
    th.stack_hi = (uint32_t)a->t->stack_hi;
    th.sp = a->sp;
    th.flags = a->flags;
    th.context = CD_THREAD_CONTEXT;
    th.addr = a->sp;
    th.len = a->len;
    sec_put(w, &th, sizeof th);
    if (a->len != 0) {
        sec_put(w, (const void *)(uintptr_t)a->sp, a->len);
    }
}

/* The registered thread whose stack holds sp, NULL if none. */
static const cd_thread_t *thread_of(uintptr_t sp)
{
    const cd_thread_t *t;
    for (uint32_t i = 0; (t = cd_thread_at(i, NULL)) != NULL; i++) {
        if (sp >= t->stack_lo && sp <= t->stack_hi) {
            return t;
        }
    }
    return NULL;
}

/* The thread the crash happened in: the running registered thread when the
 * fault came from thread mode on the process stack (or a bugcheck, which
 * runs on the caller's stack), else the thread whose stack holds SP. */
static const cd_thread_t *crashed_thread(const cd_crash_ctx_t *ctx)
{
    uint32_t current = cd_thread_current();
    uint32_t exc = ctx->regs.exc_return;
    if (current != 0u && ((exc & 0xCu) == 0xCu || (exc == 0u && thread_of(ctx->regs.sp) != NULL))) {
        const cd_thread_t *t;
        for (uint32_t i = 0; (t = cd_thread_at(i, NULL)) != NULL; i++) {
            if (t->id == current) {
                return t;
            }
        }
    }
    return thread_of(ctx->regs.sp);
}

/* THREAD sections: the running thread first (its stack is a STACK section),
 * then every other registered thread with the top of its stack. */
static void emit_threads(struct cd_writer *w, const cd_crash_ctx_t *ctx, const cd_config_t *cfg,
                         uint32_t thread_sp)
{
    uint32_t current = cd_thread_current();
    uint32_t want = cfg->thread_stack_bytes == 0 ? 512u : cfg->thread_stack_bytes;
    (void)ctx;
    for (int pass = 0; pass < 2; pass++) {
        const cd_thread_t *t;
        for (uint32_t i = 0; (t = cd_thread_at(i, NULL)) != NULL; i++) {
            thread_arg_t a = {t, 0u, 0u, 0u};
            if ((t->id == current) != (pass == 0)) {
                continue;
            }
            if (pass == 0) {
                a.sp = thread_sp;
                a.flags = CD_THREAD_F_CURRENT;
            } else if (cd_mem_readable((uintptr_t)t->sp_slot, 4u)) {
                a.sp = *t->sp_slot;
                if (a.sp >= t->stack_lo && a.sp < t->stack_hi) {
                    a.len = stack_bytes(a.sp, t->stack_hi, want);
                }
            }
            if (a.sp < t->stack_lo || a.sp > t->stack_hi) {
                a.flags |= CD_THREAD_F_SP_OUT;
            }
            section(w, CD_SEC_THREAD, 0, put_thread, &a);
        }
    }
}

#else /* no thread table: no thread sections, no thread bounds */
static const cd_thread_t *thread_of(uintptr_t sp)
{
    (void)sp;
    return NULL;
}
#define crashed_thread(ctx) ((void)(ctx), (const cd_thread_t *)NULL)
#define emit_threads(w, ctx, cfg, sp) ((void)(sp))
#endif

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

    /* The stack of the crashed context, from SP up to the top of that stack
     * (a thread's, when SP is in one), never beyond it into other data. */
    uint32_t want = cfg->stack_dump_bytes == 0 ? DEFAULT_STACK_BYTES : cfg->stack_dump_bytes;
    const cd_thread_t *th = crashed_thread(ctx);
    mem_arg_t m = {ctx->regs.sp, 0};
    if (th != NULL && ((ctx->flags & CD_DUMP_F_BAD_SP) || m.addr < th->stack_lo ||
                       m.addr >= th->stack_hi)) {
        /* The thread's SP left its stack (an overflow): the bottom of the
         * stack it overflowed holds the runaway frames. */
        m.addr = th->stack_lo;
        m.len = stack_bytes(m.addr, th->stack_hi, want);
    } else if (!(ctx->flags & CD_DUMP_F_BAD_SP)) {
        m.len = stack_bytes(m.addr, th != NULL ? th->stack_hi : 0u, want);
    }
    section(w, CD_SEC_STACK, 0, put_mem, &m);

    /* A fault in a handler: the process stack too, where the thread the
     * interrupt came in on keeps its exception frame and callers. */
    uint32_t thread_sp = ctx->regs.sp;
    uint32_t exc = ctx->regs.exc_return;
    /* (A bugcheck has no EXC_RETURN: called from a handler, IPSR says so.) */
    int in_handler = exc != 0u ? (exc & 0x8u) == 0u : (ctx->regs.xpsr & 0x1FFu) != 0u;
    if (in_handler && (ctx->regs.valid & CD_REGS_V_SPECIAL) && ctx->regs.psp != 0u) {
        th = thread_of(ctx->regs.psp);
        m.addr = ctx->regs.psp;
        m.len = stack_bytes(m.addr, th != NULL ? th->stack_hi : 0u, want);
        if (m.len != 0u) {
            section(w, CD_SEC_STACK, CD_SEC_F_INTERRUPTED, put_mem, &m);
        }
        thread_sp = ctx->regs.psp;
    }
    emit_threads(w, ctx, cfg, thread_sp);

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

/* Programs the header over what the writer completed, after reading that
 * back (the body CRC is computed from flash, and every section checked), and
 * reads the header back too: the commit, and its verification. Sets w->err
 * to CD_E_CORRUPT if flash does not hold what was written. */
static void commit(struct cd_writer *w, const cd_crash_ctx_t *ctx, const cd_config_t *cfg,
                   uint32_t extra_flags)
{
    cd_dump_hdr_t h;
    uint32_t body_crc = 0;
    flush_all(w);
    if (w->err == CD_OK) {
        w->err = readback(w, w->done_pos, w->done_n, w->done_intent, &body_crc);
    }
    if (w->err != CD_OK) {
        return;
    }
    cd_zero(&h, sizeof h);
    h.magic = CD_DUMP_MAGIC;
    h.version = CD_DUMP_VERSION;
    h.hdr_len = HDR_LEN;
    h.total_len = w->done_pos;
    h.body_crc = body_crc;
    h.crash_count = s_area.rec.crash_count;
    h.boot_count = cd_boot_count();
    h.reason = ctx->reason;
    h.code = ctx->code;
    cd_copy(h.param, ctx->param, sizeof h.param);
    h.flags = (ctx->flags & (CD_DUMP_F_BAD_SP | CD_DUMP_F_FPU)) | w->flags | extra_flags;
    h.stage = s_nested_stage != 0 ? s_nested_stage : s_d.stage;
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
    cd_dump_hdr_t back;
    if (w->err == CD_OK && (cd_port_flash_read(w->base, &back, HDR_LEN) != CD_OK ||
                            !cd_equal(&back, &h, HDR_LEN))) {
        w->err = CD_E_CORRUPT;
    }
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
    flush_all(w);
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
    s_d.stage = CD_STAGE_DONE;
    s_area.rec.stage = CD_STAGE_DONE;
    rec_seal();
    cd_arch_reset();
}

/* Second entry: a fault inside the crash path. */
static __attribute__((noreturn)) void crash_nested(void)
{
    const cd_config_t *cfg = cd_core_config();
    const cd_crash_ctx_t *ctx = s_ctx;
    if (cfg == NULL || ctx == NULL || s_d.stage == CD_STAGE_COMMIT || s_w.in_flash_op) {
        cd_arch_reset(); /* nothing sensible left to do; the record tells the stage */
    }
    s_nested_stage = s_d.stage;
    s_area.rec.stage = s_d.stage;
    rec_seal();
    if (s_w.mode == MODE_WRITE && s_w.started) {
        /* Commit what was completed: the bytes of the cut section past
         * done_pos are programmed but not covered by total_len. */
        struct cd_writer *w = &s_w;
        w->err = CD_OK;
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

/* 0 if the writer's state was overwritten, else 1 (before cd_dump_boot() too:
 * all zero). */
static int dump_intact(void)
{
    if (s_d.guard_lo == 0u && s_d.guard_hi == 0u && !s_d.ready && s_d.entries == 0u) {
        return 1;
    }
    return s_d.guard_lo == CD_GUARD_LO && s_d.guard_hi == CD_GUARD_HI && s_d.entries <= 2u &&
           s_d.n_slots <= CD_DUMP_SLOTS_MAX;
}

/* The record of a crash, with the outcome `result`, from nothing but the
 * crash area (in .noinit, CRC-checked) and ctx. */
static void record_crash(const cd_crash_ctx_t *ctx, int result)
{
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
    rec->result = result;
    rec->slot = NO_SLOT;
    rec->stage = CD_STAGE_RECORD;
    rec_seal();
}

void cd_crash_state_lost(const cd_crash_ctx_t *ctx)
{
    /* Nothing here reads the overwritten state: the record and the reset
     * only. The dump is not attempted (its slot table, configuration and
     * callbacks cannot be trusted), so it counts as dropped. */
    record_crash(ctx, CD_E_LIB_STATE);
    count_dropped();
    cd_arch_reset();
}

void cd_crash_handle(cd_crash_ctx_t *ctx)
{
    if (!dump_intact() || !cd_core_intact()) {
        cd_crash_state_lost(ctx);
    }
    uint32_t entry = ++s_d.entries;
    if (entry == 2u) {
        crash_nested();
    }
    if (entry > 2u) {
        cd_arch_reset();
    }
    s_ctx = ctx;
    cd_zero(&s_w, sizeof s_w); /* nothing written yet (see crash_nested) */
    s_nested_stage = 0;
    s_d.crashing = 1;
    s_add_len = 0;
    s_d.stage = CD_STAGE_ENTRY;

    /* The record first: whatever happens next, the reason is kept. */
    cd_crash_record_t *rec = &s_area.rec;
    record_crash(ctx, CD_E_NO_DUMP);
    s_d.stage = CD_STAGE_RECORD;

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
