/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Crash dumps (cd_dump.c): dump contents parsed back section by section, the
 * slot policy over crash loops, the crash record, crash_loop_limit, nested
 * faults, the dump API the protocol uses, configuration checks, and the
 * power-cut test: a crash (and a boot-time erase) cut at every flash operation,
 * then a reboot, must never yield a VALID dump that differs from a complete
 * write, and must never damage an earlier dump.
 * Extended (issue 11): double cuts (the clean-up boot after a cut, cut again),
 * write sizes 1/2/4/8, the boot-time erase for every slot count, a host
 * DUMP_ERASE, resets that keep RAM and that lose it (garbage or zeros), and a
 * fault arriving during each kind of erase. main() prints the points by kind.
 *
 * cd_crash_handle() does not return: the fake cd_arch_reset() longjmps back
 * here, and so does a simulated power cut (fake_port.c).
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cd_crash.h"
#include "cd_frame.h"
#include "cd_internal.h"
#include "fake_port.h"
#include "unit.h"

/* Fake target RAM at its Cortex-M address, so stack and triage addresses fit
 * the dump's 32-bit fields and are really readable. */
#define RAM_BASE 0x20000000u
#define RAM_LEN 0x10000u
static uint8_t *ram;

static const cd_mem_region_t map[] = {
    {RAM_BASE, RAM_LEN, CD_MEM_READ | CD_MEM_WRITE},
};

#define SELF_ITEM 16u
#define SELF_COUNT 4u
#define SRC_COUNT 2u
#define SRC_MAX 512u
#define TRIAGE 6u
#define STORE_SIZE CD_STORAGE_SIZE(SELF_ITEM, SELF_COUNT, SRC_COUNT, SRC_MAX, TRIAGE)

static uint64_t store_mem[(STORE_SIZE + 7u) / 8u];
static const cd_guid_t self_guid = {{0x5e, 0x1f, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14}};
static const cd_guid_t src_guid = {{0xa0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
static const cd_guid_t add_guid = {{0xad, 0xd0, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}};
static const uint8_t build_id[] = {0xb1, 0x1d, 0x1d, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17};

/* ------------------------------------------------------------ callbacks */

static uint8_t add_data[40];
static size_t add_query_len; /* what the query returns */
static int add_put_rc_excess;  /* status of a put beyond the promise */
static int add_calls;
static int triage_mode;       /* 0 none, 1 add ranges, 2 re-enter (nested) */
static int triage_unmapped_rc;
static int triage_calls;
static cd_crash_record_t rec_in_triage;
static int rec_in_triage_rc;
static int add_nest_on_call; /* re-enter cd_crash_handle on this write call (0: never) */
static cd_crash_ctx_t ctx_g;

static size_t add_query(void *user)
{
    (void)user;
    return add_query_len;
}

static void add_write(void *user, cd_writer_t *w)
{
    (void)user;
    add_calls++;
    if (add_nest_on_call != 0 && add_calls == add_nest_on_call) {
        cd_crash_handle(&ctx_g); /* what the fault entry does on a nested fault */
    }
    size_t n = add_query_len < sizeof add_data ? add_query_len : sizeof add_data;
    size_t half = n / 2u;
    cd_writer_put(w, add_data, half);
    cd_writer_put(w, add_data + half, n - half);
    add_put_rc_excess = cd_writer_put(w, add_data, 1);
}

static void triage_cb(void *user, uint32_t code, uint32_t p1, uint32_t p2, uint32_t p3, uint32_t p4)
{
    (void)user, (void)code, (void)p1, (void)p2, (void)p3, (void)p4;
    triage_calls++;
    rec_in_triage_rc = cd_last_crash(&rec_in_triage);
    if (triage_mode == 1) {
        CHECK_EQ(cd_triage_add(ram + 0x2000, 24), CD_OK);
        triage_unmapped_rc = cd_triage_add((const void *)(uintptr_t)0x90000000u, 16);
    } else if (triage_mode == 2) {
        CHECK_EQ(cd_triage_add(ram + 0x2000, 24), CD_OK);
        cd_crash_handle(&ctx_g);
    }
}

/* ------------------------------------------------------------ setup */

static uint32_t g_slots = 2, g_loop_limit, g_stack_bytes = 256;

static cd_config_t cfg_make(void)
{
    cd_config_t c;
    memset(&c, 0, sizeof c);
    c.component_name = "unit-dump";
    c.self_guid = self_guid;
    c.self_item_size = SELF_ITEM;
    c.self_item_count = SELF_COUNT;
    c.source_count = SRC_COUNT;
    c.source_max_bytes = SRC_MAX;
    c.additional_guid = add_guid;
    c.additional_query = add_query;
    c.additional_write = add_write;
    c.triage_count = TRIAGE;
    c.triage_cb = triage_cb;
    c.dump_slots = g_slots;
    c.stack_dump_bytes = g_stack_bytes;
    c.crash_loop_limit = g_loop_limit;
    c.storage = store_mem;
    c.storage_size = STORE_SIZE;
    return c;
}

static int boot(void)
{
    cd_config_t c = cfg_make();
    return cd_init(&c);
}

static void wipe_noinit(void)
{
    size_t n;
    void *a = cd_dump_noinit_area(&n);
    memset(a, 0xA5, n);
}

/* Fresh flash and storage, a booted library with some ring contents. */
static void setup(uint32_t flash_size, uint32_t slots, uint32_t ws)
{
    fake_flash_setup(flash_size, 1024u, ws);
    memset(store_mem, 0, sizeof store_mem);
    wipe_noinit();
    fake_set_memory_map(map, 1);
    fake_set_build_id(build_id, sizeof build_id);
    g_slots = slots;
    g_loop_limit = 0;
    g_stack_bytes = 256;
    triage_mode = 1;
    add_query_len = sizeof add_data;
    add_nest_on_call = 0;
    for (size_t i = 0; i < sizeof add_data; i++) {
        add_data[i] = (uint8_t)(0x40 + i);
    }
    for (uint32_t i = 0; i < RAM_LEN; i++) {
        ram[i] = (uint8_t)(i * 7u + 3u);
    }
    CHECK_EQ(boot(), CD_OK);
    for (int i = 0; i < 6; i++) {
        char item[SELF_ITEM];
        memset(item, 'a' + i, sizeof item);
        CHECK_EQ(cd_self_write(item, (size_t)(5 + i)), CD_OK);
    }
    cd_ring_t *r = NULL;
    CHECK_EQ(cd_source_create(&src_guid, "src", 12, 8, &r, NULL), CD_OK);
    for (int i = 0; i < 3; i++) {
        uint8_t b[12];
        memset(b, 0x10 + i, sizeof b);
        CHECK_EQ(cd_ring_write(r, b, sizeof b, NULL), CD_OK);
    }
    CHECK_EQ(cd_triage_add(ram + 0x1000, 64), CD_OK);
}

static void make_ctx(uint32_t code, uint32_t flags)
{
    memset(&ctx_g, 0, sizeof ctx_g);
    ctx_g.reason = CD_REASON_FAULT;
    ctx_g.code = code;
    for (int i = 0; i < 4; i++) {
        ctx_g.param[i] = 0x1000u * code + (uint32_t)i;
    }
    ctx_g.flags = flags;
    ctx_g.cpuid = 0x410FC241u;
    ctx_g.arch = CD_ARCH_V7EM;
    for (int i = 0; i < 13; i++) {
        ctx_g.regs.r[i] = 0xC0DE0000u + (uint32_t)i;
    }
    ctx_g.regs.sp = RAM_BASE + 0x8000u;
    ctx_g.regs.lr = 0x08000101u;
    ctx_g.regs.pc = 0x08000200u + code;
    ctx_g.regs.valid = CD_REGS_V_FRAME | CD_REGS_V_CALLEE;
    ctx_g.fault.cfsr = 0x8200u;
    ctx_g.fault.bfar = 0xDEADBEEFu;
    for (int i = 0; i < 32; i++) {
        ctx_g.fpu.s[i] = 0x3F800000u + (uint32_t)i;
    }
}

/* Runs the crash path; 1 if it ended in cd_arch_reset(), 2 if the power was cut. */
static int run_crash(void)
{
    static volatile int how;
    how = 0;
    fake_reset_armed = 1;
    if (setjmp(fake_reset_jmp) != 0) {
        how = 1;
    } else if (setjmp(fake_cut_jmp) != 0) {
        how = 2;
    } else {
        cd_crash_handle(&ctx_g);
    }
    fake_reset_armed = 0;
    return how;
}

/* A host DUMP_ERASE of `slot` during which a fault may arrive: 1 if it
 * ended in cd_arch_reset(), 0 if the erase returned. */
static int run_crash_with(uint32_t slot, uint32_t body_crc)
{
    static volatile int how;
    how = 0;
    fake_reset_armed = 1;
    if (setjmp(fake_reset_jmp) != 0) {
        how = 1;
    } else {
        (void)cd_dump_erase(slot, 0, body_crc);
    }
    fake_reset_armed = 0;
    return how;
}

/* cd_init() that may be cut: 0 done, 2 cut. */
static int run_boot(void)
{
    static volatile int how;
    how = 0;
    if (setjmp(fake_cut_jmp) != 0) {
        how = 2;
    } else {
        CHECK_EQ(boot(), CD_OK);
    }
    return how;
}

/* ------------------------------------------------------------ an independent parser */

#define MAX_SECS 32
typedef struct {
    cd_dump_hdr_t h;
    int n;
    cd_dump_section_t sec[MAX_SECS];
    const uint8_t *data[MAX_SECS];
} parsed_t;

static uint32_t slot_size(void)
{
    uint32_t s = fake_geometry.size / g_slots;
    return s - s % fake_geometry.erase_size;
}

static const uint8_t *slot_ptr(uint32_t i)
{
    return fake_flash + (size_t)i * slot_size();
}

/* The documented validity rule plus every section's CRC and the padding.
 * 1 if the slot holds a valid dump. */
static int parse(uint32_t slot, parsed_t *p)
{
    const uint8_t *s = slot_ptr(slot);
    memset(p, 0, sizeof *p);
    memcpy(&p->h, s, sizeof p->h);
    const cd_dump_hdr_t *h = &p->h;
    if (h->magic != CD_DUMP_MAGIC || h->version != CD_DUMP_VERSION || h->hdr_len != 128 ||
        cd_crc32(0, h, CD_DUMP_HDR_CRC_LEN) != h->hdr_crc || h->total_len < 128 ||
        h->total_len > slot_size()) {
        return 0;
    }
    if (cd_crc32(0, s + 128, h->total_len - 128u) != h->body_crc) {
        return 0;
    }
    uint32_t o = 128;
    while (o < h->total_len) {
        CHECK(o + 12u <= h->total_len);
        CHECK(p->n < MAX_SECS);
        if (o + 12u > h->total_len || p->n >= MAX_SECS) {
            return 0;
        }
        cd_dump_section_t sec;
        memcpy(&sec, s + o, sizeof sec);
        o += 12u;
        uint32_t padded = (sec.len + 3u) & ~3u;
        CHECK(padded <= h->total_len - o);
        if (padded > h->total_len - o) {
            return 0;
        }
        CHECK_EQ(cd_crc32(0, s + o, sec.len), sec.crc);
        for (uint32_t k = sec.len; k < padded; k++) {
            CHECK_EQ(s[o + k], 0);
        }
        p->sec[p->n] = sec;
        p->data[p->n] = s + o;
        p->n++;
        o += padded;
    }
    CHECK_EQ(p->n, h->n_sections);
    return 1;
}

static int find_sec(const parsed_t *p, uint16_t type, int nth)
{
    for (int i = 0; i < p->n; i++) {
        if (p->sec[i].type == type && nth-- == 0) {
            return i;
        }
    }
    return -1;
}

static uint8_t slot_state(uint32_t i)
{
    cd_wire_slot_t s;
    CHECK_EQ(cd_dump_slot_info(i, &s), CD_OK);
    return s.state;
}

static uint32_t slot_cc(uint32_t i)
{
    cd_wire_slot_t s;
    CHECK_EQ(cd_dump_slot_info(i, &s), CD_OK);
    return s.state == CD_SLOT_VALID ? s.crash_count : 0;
}

/* ------------------------------------------------------------ tests */

/* The memory a dump covers changes while the writer runs (here on every flash
 * program: an interrupt, DMA, the writer's own state). */
static void churn_ram(void)
{
    for (uint32_t i = 0; i < 64u; i++) {
        ram[0x1000 + i]++;   /* the triage range */
        ram[0x8000 + i] ^= 0x5A; /* the stack */
    }
}

TEST(dump_verifies_while_memory_changes)
{
    setup(8192, 2, 8);
    make_ctx(4, 0);
    fake_flash_program_hook = churn_ram;
    CHECK_EQ(run_crash(), 1);
    fake_flash_program_hook = NULL;
    parsed_t p;
    CHECK(parse(0, &p)); /* every CRC matches the bytes programmed */
    cd_crash_record_t rec;
    CHECK_EQ(cd_last_crash(&rec), CD_OK);
    CHECK_EQ(rec.result, CD_OK);
    CHECK_EQ(fake_flash_overprogram, 0);
    /* And after a reboot the slot is still a valid dump. */
    CHECK_EQ(boot(), CD_OK);
    CHECK_EQ(slot_state(0), CD_SLOT_VALID);
}

TEST(dump_not_taken_by_flash_is_reported)
{
    for (uint32_t flip = 1; flip <= 6; flip++) {
        setup(8192, 2, 4);
        make_ctx(4, 0);
        fake_flash_reset_ops();
        fake_flash_flip_at = flip; /* one bit of one program call lost */
        CHECK_EQ(run_crash(), 1);
        fake_flash_flip_at = 0;
        cd_crash_record_t rec;
        CHECK_EQ(cd_last_crash(&rec), CD_OK);
        CHECK_EQ(rec.result, CD_E_CORRUPT); /* never "OK" for a dump that does not verify */
        parsed_t p;
        CHECK(!parse(0, &p));
        CHECK_EQ(boot(), CD_OK);
        CHECK(slot_state(0) != CD_SLOT_VALID);
    }
}

/* Threads (CD_THREAD_MAX in the unit-test build). The fault path reads names
 * and saved SPs only inside the memory map, so they live in the fake RAM. */

TEST(dump_lists_threads_current_first)
{
    setup(16384, 2, 4);
    /* Two thread stacks in the fake RAM; the crash is in the second one. */
    uintptr_t a_lo = (uintptr_t)(ram + 0x2000), a_hi = a_lo + 0x400;
    uintptr_t b_lo = (uintptr_t)(ram + 0x3000), b_hi = b_lo + 0x200;
    uint32_t *saved_sp = (uint32_t *)(void *)(ram + 0x4100);
    char *names = (char *)(ram + 0x4000);
    memcpy(names, "alpha", 6);
    memcpy(names + 8, "beta-is-a-long-name", 20);
    saved_sp[0] = (uint32_t)(a_hi - 0x40); /* switched out with 64 bytes in use */
    CHECK_EQ(cd_thread_add(0xA, names, a_lo, a_hi, &saved_sp[0]), CD_OK);
    CHECK_EQ(cd_thread_add(0xB, names + 8, b_lo, b_hi, &saved_sp[1]), CD_OK);
    cd_thread_switch(0xB);
    make_ctx(4, 0);
    ctx_g.regs.sp = (uint32_t)(b_hi - 0x80);
    ctx_g.regs.exc_return = 0xFFFFFFFDu; /* thread mode, PSP */
    ctx_g.regs.valid |= CD_REGS_V_SPECIAL;
    CHECK_EQ(run_crash(), 1);
    parsed_t p;
    CHECK(parse(0, &p));
    /* The stack section stops at the top of beta's stack, not g_stack_bytes. */
    int s = find_sec(&p, CD_SEC_STACK, 0);
    cd_dump_mem_t m;
    memcpy(&m, p.data[s], sizeof m);
    CHECK_EQ(m.len, 0x80);
    CHECK_EQ(find_sec(&p, CD_SEC_STACK, 1), -1); /* no handler: no interrupted stack */
    int t0 = find_sec(&p, CD_SEC_THREAD, 0), t1 = find_sec(&p, CD_SEC_THREAD, 1);
    CHECK(t0 > s && t1 > t0);
    cd_dump_thread_t th;
    memcpy(&th, p.data[t0], sizeof th);
    CHECK_EQ(th.id, 0xB);
    CHECK_EQ(th.flags, CD_THREAD_F_CURRENT);
    CHECK_MEM(th.name, "beta-is-a-long-n", CD_LABEL_LEN);
    CHECK_EQ(th.len, 0);
    CHECK_EQ(th.context, CD_THREAD_CONTEXT);
    memcpy(&th, p.data[t1], sizeof th);
    CHECK_EQ(th.id, 0xA);
    CHECK_EQ(th.flags, 0);
    CHECK_EQ(th.sp, saved_sp[0]);
    CHECK_EQ(th.addr, saved_sp[0]);
    CHECK_EQ(th.len, 0x40); /* up to the top of its stack */
    CHECK_MEM(p.data[t1] + sizeof th, (const void *)(uintptr_t)saved_sp[0], 0x40);

    /* A fault in a handler that interrupted beta: its process stack too, and
     * an SP outside a thread's stack is flagged. */
    CHECK_EQ(boot(), CD_OK);
    saved_sp[0] = (uint32_t)(a_lo - 8u);
    make_ctx(5, 0);
    ctx_g.regs.exc_return = 0xFFFFFFF1u; /* handler mode, MSP */
    ctx_g.regs.valid |= CD_REGS_V_SPECIAL;
    ctx_g.regs.psp = (uint32_t)(b_hi - 0x20);
    CHECK_EQ(run_crash(), 1);
    CHECK(parse(1, &p) || parse(0, &p));
    int irq = find_sec(&p, CD_SEC_STACK, 1);
    CHECK(irq > 0);
    CHECK_EQ(p.sec[irq].flags, CD_SEC_F_INTERRUPTED);
    memcpy(&m, p.data[irq], sizeof m);
    CHECK_EQ(m.addr, (uint32_t)(b_hi - 0x20));
    CHECK_EQ(m.len, 0x20);
    memcpy(&th, p.data[find_sec(&p, CD_SEC_THREAD, 0)], sizeof th);
    CHECK_EQ(th.sp, (uint32_t)(b_hi - 0x20));
    memcpy(&th, p.data[find_sec(&p, CD_SEC_THREAD, 1)], sizeof th);
    CHECK_EQ(th.flags, CD_THREAD_F_SP_OUT);
    CHECK_EQ(th.len, 0);
    CHECK_EQ(cd_thread_remove(0xA), CD_OK);
    CHECK_EQ(cd_thread_remove(0xB), CD_OK);
}

TEST(dump_contents_parse_back)
{
    setup(8192, 2, 4);
    make_ctx(3, CD_DUMP_F_FPU);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(triage_unmapped_rc, CD_OK);
    CHECK_EQ(add_put_rc_excess, CD_E_NOSPACE);
    /* The record was stored before the dump: the triage callback saw it. */
    CHECK_EQ(rec_in_triage_rc, CD_OK);
    CHECK_EQ(rec_in_triage.crash_count, 1);
    CHECK_EQ(rec_in_triage.stage, CD_STAGE_TRIAGE);
    CHECK_EQ(rec_in_triage.result, CD_E_NO_DUMP);
    CHECK_EQ(rec_in_triage.pc, ctx_g.regs.pc);

    parsed_t p;
    CHECK(parse(0, &p));
    CHECK_EQ(p.h.crash_count, 1);
    CHECK_EQ(p.h.boot_count, 1);
    CHECK_EQ(p.h.reason, CD_REASON_FAULT);
    CHECK_EQ(p.h.code, 3);
    CHECK_EQ(p.h.param[3], 0x3003);
    CHECK_EQ(p.h.flags, CD_DUMP_F_FPU);
    CHECK_EQ(p.h.cpuid, 0x410FC241u);
    CHECK_EQ(p.h.arch, CD_ARCH_V7EM);
    CHECK_EQ(p.h.build_id_len, sizeof build_id);
    CHECK_MEM(p.h.build_id, build_id, sizeof build_id);
    CHECK(strcmp(p.h.component, "unit-dump") == 0);

    /* Order: REGS FAULT FPU STACK RING(self) RING(src) ADDITIONAL TRIAGE x3 */
    static const uint16_t order[] = {CD_SEC_REGS, CD_SEC_FAULT, CD_SEC_FPU, CD_SEC_STACK,
                                     CD_SEC_RING, CD_SEC_RING, CD_SEC_ADDITIONAL, CD_SEC_TRIAGE,
                                     CD_SEC_TRIAGE, CD_SEC_TRIAGE};
    CHECK_EQ(p.n, 10);
    for (int i = 0; i < p.n && i < 10; i++) {
        CHECK_EQ(p.sec[i].type, order[i]);
    }
    CHECK_EQ(p.sec[0].len, sizeof(cd_dump_regs_t));
    CHECK_MEM(p.data[0], &ctx_g.regs, sizeof ctx_g.regs);
    CHECK_MEM(p.data[1], &ctx_g.fault, sizeof ctx_g.fault);
    CHECK_MEM(p.data[2], &ctx_g.fpu, sizeof ctx_g.fpu);

    cd_dump_mem_t m;
    memcpy(&m, p.data[3], sizeof m);
    CHECK_EQ(m.addr, RAM_BASE + 0x8000u);
    CHECK_EQ(m.len, 256);
    CHECK_EQ(m.status, CD_OK);
    CHECK_EQ(p.sec[3].len, 16u + 256u);
    CHECK_MEM(p.data[3] + 16, ram + 0x8000, 256);

    cd_ring_t *self = cd_self_ring();
    size_t self_len = sizeof(cd_ring_hdr_t) + SELF_COUNT * CD_RING_STRIDE(SELF_ITEM);
    cd_dump_ring_t where;
    CHECK_EQ(p.sec[4].flags, CD_SEC_F_SELF);
    CHECK_EQ(p.sec[4].len, sizeof where + self_len);
    memcpy(&where, p.data[4], sizeof where);
    CHECK_EQ(where.addr, (uint32_t)(uintptr_t)self);
    CHECK_EQ(where.reserved, 0);
    CHECK_MEM(p.data[4] + sizeof where, self, self_len);
    cd_ring_t *src = cd_source_find(&src_guid);
    size_t src_len = sizeof(cd_ring_hdr_t) + 8u * CD_RING_STRIDE(12);
    CHECK_EQ(p.sec[5].flags, 0);
    CHECK_EQ(p.sec[5].len, sizeof where + src_len);
    memcpy(&where, p.data[5], sizeof where);
    CHECK_EQ(where.addr, (uint32_t)(uintptr_t)src);
    CHECK_MEM(p.data[5] + sizeof where, src, src_len);

    CHECK_EQ(p.sec[6].len, 16u + sizeof add_data);
    CHECK_MEM(p.data[6], &add_guid, 16);
    CHECK_MEM(p.data[6] + 16, add_data, sizeof add_data);

    memcpy(&m, p.data[7], sizeof m);
    CHECK_EQ(m.addr, RAM_BASE + 0x1000u);
    CHECK_EQ(m.len, 64);
    CHECK_MEM(p.data[7] + 16, ram + 0x1000, 64);
    memcpy(&m, p.data[8], sizeof m);
    CHECK_EQ(m.addr, RAM_BASE + 0x2000u);
    CHECK_EQ(m.len, 24);
    CHECK_MEM(p.data[8] + 16, ram + 0x2000, 24);
    memcpy(&m, p.data[9], sizeof m);
    CHECK_EQ(m.addr, 0x90000000u);
    CHECK_EQ(m.len, 0);
    CHECK_EQ(m.status, CD_E_TRIAGE_RANGE);
    CHECK_EQ(p.sec[9].len, 16);

    /* After the reset: the record says where the dump went. */
    CHECK_EQ(boot(), CD_OK);
    cd_crash_record_t r;
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.result, CD_OK);
    CHECK_EQ(r.slot, 0);
    CHECK_EQ(r.stage, CD_STAGE_DONE);
    CHECK_EQ(r.crash_count, 1);
    CHECK_EQ(cd_crash_loop_count(), 1);
    CHECK_EQ(slot_state(0), CD_SLOT_VALID);
    CHECK_EQ(slot_state(1), CD_SLOT_EMPTY);
    /* Outside the crash path an unmapped triage range is still refused. */
    CHECK_EQ(cd_triage_add((const void *)(uintptr_t)0x90000000u, 16), CD_E_TRIAGE_RANGE);
}

TEST(dump_stack_clipped_and_bad_sp)
{
    setup(8192, 2, 4);
    triage_mode = 0;
    make_ctx(4, 0);
    ctx_g.regs.sp = RAM_BASE + RAM_LEN - 40u; /* 40 bytes to the end of RAM */
    CHECK_EQ(run_crash(), 1);
    parsed_t p;
    CHECK(parse(0, &p));
    int s = find_sec(&p, CD_SEC_STACK, 0);
    CHECK(s == 2); /* no FPU section */
    cd_dump_mem_t m;
    memcpy(&m, p.data[s], sizeof m);
    CHECK_EQ(m.len, 40);
    CHECK_MEM(p.data[s] + 16, ram + RAM_LEN - 40u, 40);

    CHECK_EQ(boot(), CD_OK);
    make_ctx(5, CD_DUMP_F_BAD_SP);
    CHECK_EQ(run_crash(), 1);
    CHECK(parse(1, &p));
    CHECK_EQ(p.h.flags & CD_DUMP_F_BAD_SP, CD_DUMP_F_BAD_SP);
    s = find_sec(&p, CD_SEC_STACK, 0);
    memcpy(&m, p.data[s], sizeof m);
    CHECK_EQ(m.len, 0);
    CHECK_EQ(m.status, CD_E_TRIAGE_RANGE);
    CHECK_EQ(p.sec[s].len, 16);

    /* SP outside the memory map: the same, without the flag. */
    CHECK_EQ(boot(), CD_OK);
    make_ctx(6, 0);
    ctx_g.regs.sp = 0x10u;
    CHECK_EQ(run_crash(), 1);
    CHECK(parse(1, &p));
    s = find_sec(&p, CD_SEC_STACK, 0);
    memcpy(&m, p.data[s], sizeof m);
    CHECK_EQ(m.status, CD_E_TRIAGE_RANGE);
    CHECK_EQ(m.len, 0);
}

TEST(dump_truncated_when_slot_small)
{
    setup(2048, 2, 4); /* two 1 KiB slots */
    g_stack_bytes = 4096;
    CHECK_EQ(boot(), CD_OK);
    make_ctx(3, 0);
    CHECK_EQ(run_crash(), 1);
    parsed_t p;
    CHECK(parse(0, &p));
    CHECK_EQ(p.h.flags & CD_DUMP_F_TRUNCATED, CD_DUMP_F_TRUNCATED);
    CHECK(p.h.total_len <= 1024u && p.h.total_len > 1024u - 16u);
    /* The stack (wanted 4 KiB) is cut; nothing follows it. */
    CHECK_EQ(p.n, 3);
    CHECK_EQ(p.sec[2].type, CD_SEC_STACK);
    CHECK_EQ(p.sec[2].flags, CD_SEC_F_TRUNCATED);
    CHECK_MEM(p.data[2] + 16, ram + 0x8000, p.sec[2].len - 16u);
    CHECK_EQ(boot(), CD_OK);
    CHECK_EQ(slot_state(0), CD_SLOT_VALID);
}

/* Sets the crash record's counter as that many earlier crashes would have. */
static void set_crash_count(uint32_t cc)
{
    size_t n;
    cd_crash_record_t *rec = cd_dump_noinit_area(&n); /* the area starts with the record */
    rec->magic = CD_CRASH_MAGIC;
    rec->crash_count = cc;
    rec->crc = cd_crc32(0, rec, offsetof(cd_crash_record_t, crc));
}

static uint32_t dropped_now(void)
{
    cd_wire_dump_status_t st;
    CHECK_EQ(cd_dump_status(&st), CD_OK);
    return st.dropped;
}

/* Crash, reboot, n times, the crash counter starting after `start`; checks
 * the slots and the dropped count after each boot. lose_ram: every reboot is
 * a power cycle (.noinit lost), so the counter is rebuilt from the slots. */
static void crash_loop_from(uint32_t slots, int n, uint32_t start, int lose_ram)
{
    setup(slots * 4096u, slots, 4);
    set_crash_count(start);
    CHECK_EQ(boot(), CD_OK);
    for (int k = 1; k <= n; k++) {
        make_ctx((uint32_t)k, 0);
        fake_flash_overprogram = 0;
        CHECK_EQ(run_crash(), 1);
        CHECK_EQ(fake_flash_overprogram, 0);
        if (lose_ram) {
            wipe_noinit();
        }
        uint32_t erases_before = fake_flash_erases;
        CHECK_EQ(boot(), CD_OK);
        int have_first = 0, have_newest = 0, empty = 0;
        for (uint32_t i = 0; i < slots; i++) {
            uint32_t cc = slot_cc(i);
            have_first |= slot_state(i) == CD_SLOT_VALID && cc == start + 1u;
            have_newest |= slot_state(i) == CD_SLOT_VALID && cc == start + (uint32_t)k;
            empty += slot_state(i) == CD_SLOT_EMPTY;
            CHECK(slot_state(i) != CD_SLOT_INVALID);
        }
        CHECK(have_first);
        CHECK(have_newest);
        if (!have_first || !have_newest) {
            fprintf(stderr, "  %u slots, crash %d after 0x%08x%s\n", slots, k, start,
                    lose_ram ? ", RAM lost" : "");
        }
        if (slots >= 3) {
            CHECK(empty >= 1); /* erased ahead at boot */
            if (k >= (int)slots) {
                CHECK(fake_flash_erases > erases_before);
            }
        } else if (k >= 2) {
            CHECK_EQ(empty, 0); /* 2 slots: no erase at boot */
            CHECK_EQ(fake_flash_erases, erases_before);
        }
        /* Every crash whose dump the policy erased is counted (issue 11). */
        if (!lose_ram) {
            int lost = slots >= 3 ? k - (int)slots + 1 : k - 2;
            CHECK_EQ(dropped_now(), lost > 0 ? lost : 0);
        }
    }
}

static void crash_loop(uint32_t slots, int n)
{
    crash_loop_from(slots, n, 0, 0);
}

TEST(slot_policy_2_slots)
{
    crash_loop(2, 5);
}

TEST(slot_policy_3_slots)
{
    crash_loop(3, 5);
    /* After 5 crashes: 1, 5 and one erased slot. */
    int ones = 0, fives = 0;
    for (uint32_t i = 0; i < 3; i++) {
        ones += slot_cc(i) == 1;
        fives += slot_cc(i) == 5;
    }
    CHECK_EQ(ones, 1);
    CHECK_EQ(fives, 1);
}

/* crash_count wraps at 2^32: the first dump of a loop across the wrap is kept,
 * with RAM kept and with RAM lost (counter rebuilt from the slots). */
TEST(slot_policy_across_the_counter_wrap)
{
    static const uint32_t starts[] = {0x7FFFFFFDu, 0xFFFFFFFDu, 0xFFFFFFFFu};
    for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++) {
        for (uint32_t slots = 2; slots <= 4; slots++) {
            crash_loop_from(slots, 6, starts[i], 0);
            crash_loop_from(slots, 6, starts[i], 1);
        }
    }
}

/* The example from issue 11: four crashes in a row, 2 slots: #1 and #4 kept,
 * #2 and #3 erased by the policy and counted. */
TEST(dropped_counts_dumps_the_policy_erased)
{
    setup(8192, 2, 4);
    for (int k = 1; k <= 4; k++) {
        make_ctx((uint32_t)k, 0);
        CHECK_EQ(run_crash(), 1);
        CHECK_EQ(boot(), CD_OK);
    }
    CHECK_EQ(slot_cc(0), 1);
    CHECK_EQ(slot_cc(1), 4);
    CHECK_EQ(dropped_now(), 2);
    /* A host erase is not a lost crash. */
    cd_wire_slot_t s;
    CHECK_EQ(cd_dump_slot_info(1, &s), CD_OK);
    CHECK_EQ(cd_dump_erase(1, 0, s.body_crc), CD_OK);
    CHECK_EQ(dropped_now(), 2);
    make_ctx(5, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(boot(), CD_OK);
    CHECK_EQ(dropped_now(), 2);
    CHECK_EQ(slot_cc(1), 5);
}

TEST(crash_loop_limit_skips_dump)
{
    setup(8192, 2, 4);
    g_loop_limit = 2;
    CHECK_EQ(boot(), CD_OK);
    for (int k = 1; k <= 3; k++) {
        make_ctx((uint32_t)k, 0);
        CHECK_EQ(run_crash(), 1);
        CHECK_EQ(boot(), CD_OK);
    }
    cd_crash_record_t r;
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.crash_count, 3);
    CHECK_EQ(r.consecutive, 3);
    CHECK_EQ(r.result, CD_E_STATE);
    CHECK_EQ(r.slot, 0xFFFFFFFFu);
    CHECK_EQ(r.code, 3);
    cd_wire_dump_status_t st;
    CHECK_EQ(cd_dump_status(&st), CD_OK);
    CHECK_EQ(st.dropped, 1);
    CHECK_EQ(st.record_valid, 1);
    CHECK_EQ(slot_cc(0) + slot_cc(1), 3); /* crashes 1 and 2 */

    cd_mark_healthy();
    CHECK_EQ(cd_crash_loop_count(), 0);
    make_ctx(4, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(boot(), CD_OK);
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.result, CD_OK);
    CHECK_EQ(r.crash_count, 4);
    CHECK_EQ(r.consecutive, 1);
}

TEST(nested_fault_in_triage_callback)
{
    setup(8192, 2, 4);
    triage_mode = 2;
    add_calls = 0;
    make_ctx(7, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(add_calls, 0); /* the second entry runs no client callback */
    parsed_t p;
    CHECK(parse(0, &p));
    CHECK_EQ(p.h.flags & CD_DUMP_F_NESTED, CD_DUMP_F_NESTED);
    CHECK_EQ(p.h.stage, CD_STAGE_TRIAGE);
    CHECK_EQ(find_sec(&p, CD_SEC_ADDITIONAL, 0), -1);
    CHECK(find_sec(&p, CD_SEC_TRIAGE, 1) >= 0); /* the range added before the fault */
    CHECK_EQ(boot(), CD_OK);
    cd_crash_record_t r;
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.result, CD_OK);
    CHECK_EQ(r.crash_count, 1);
}

TEST(nested_fault_while_writing)
{
    setup(8192, 2, 4);
    triage_mode = 0;
    add_calls = 0;
    add_nest_on_call = 2; /* 1 = counting pass, 2 = programming pass */
    make_ctx(8, 0);
    CHECK_EQ(run_crash(), 1);
    parsed_t p;
    CHECK(parse(0, &p));
    CHECK_EQ(p.h.flags & (CD_DUMP_F_NESTED | CD_DUMP_F_TRUNCATED),
             CD_DUMP_F_NESTED | CD_DUMP_F_TRUNCATED);
    CHECK_EQ(p.h.stage, CD_STAGE_ADDITIONAL);
    /* REGS FAULT STACK RING RING: everything completed before ADDITIONAL. */
    CHECK_EQ(p.n, 5);
    CHECK_EQ(p.sec[4].type, CD_SEC_RING);
    CHECK_EQ(boot(), CD_OK);
    CHECK_EQ(slot_state(0), CD_SLOT_VALID);
}

TEST(overwritten_library_state_still_leaves_a_record)
{
    /* An overrun from below reaches the core's guard word (just below its
     * copy of the configuration) first: the crash path must not trust the
     * configuration, storage or callbacks behind it, and must still leave a
     * record that says what happened, then reset. */
    setup(8192, 2, 4);
    add_calls = 0;
    uint32_t *w = (uint32_t *)(void *)(uintptr_t)cd_core_config();
    int found = 0;
    for (int i = 1; i <= 4 && !found; i++) {
        if (w[-i] == CD_GUARD_LO) {
            memset(&w[-i], 0xDB, 4u * (uint32_t)i + 16u); /* guard, ready, some config */
            found = 1;
        }
    }
    CHECK(found);
    make_ctx(10, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(add_calls, 0);
    CHECK_EQ(boot(), CD_OK);
    cd_crash_record_t r;
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.result, CD_E_LIB_STATE);
    CHECK_EQ(r.code, 10);
    CHECK_EQ(r.pc, 0x08000200u + 10u);
    CHECK_EQ(r.crash_count, 1);
    cd_wire_dump_status_t st;
    CHECK_EQ(cd_dump_status(&st), CD_OK);
    CHECK_EQ(st.dropped, 1);
    CHECK(slot_state(0) != CD_SLOT_VALID && slot_state(1) != CD_SLOT_VALID);

    /* After the reboot (cd_init() restores the guards) crashes dump again. */
    make_ctx(11, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(boot(), CD_OK);
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.result, CD_OK);
}

TEST(flash_error_drops_dump)
{
    setup(8192, 2, 4);
    fake_flash_fail_io = 1;
    make_ctx(9, 0);
    CHECK_EQ(run_crash(), 1);
    fake_flash_fail_io = 0;
    CHECK_EQ(boot(), CD_OK);
    cd_crash_record_t r;
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.result, CD_E_IO);
    cd_wire_dump_status_t st;
    CHECK_EQ(cd_dump_status(&st), CD_OK);
    CHECK_EQ(st.dropped, 1);
    CHECK(slot_state(0) != CD_SLOT_VALID && slot_state(1) != CD_SLOT_VALID);
}

TEST(dump_api_status_read_erase)
{
    setup(8192, 2, 4);
    uint8_t buf[600];
    CHECK_EQ(cd_dump_read(0, 0, buf, 16), CD_E_NO_DUMP);
    CHECK_EQ(cd_dump_read(2, 0, buf, 16), CD_E_INVAL);
    cd_wire_dump_status_t st;
    CHECK_EQ(cd_dump_status(&st), CD_OK);
    CHECK_EQ(st.n_slots, 2);
    CHECK_EQ(st.slot_size, 4096);
    CHECK_EQ(st.partition_base, fake_geometry.base);
    CHECK_EQ(st.record_valid, 0);
    cd_crash_record_t r;
    CHECK_EQ(cd_last_crash(&r), CD_E_NOT_FOUND);
    /* the locator a debug probe reads says the same */
    CHECK_EQ(cd_dump_locator.magic, CD_LOCATOR_MAGIC);
    CHECK_EQ(cd_dump_locator.partition_base, st.partition_base);
    CHECK_EQ(cd_dump_locator.slot_size, st.slot_size);
    CHECK_EQ(cd_dump_locator.n_slots, 2);
    CHECK_EQ(cd_dump_locator.erase_size, 1024);
    CHECK_EQ(cd_dump_locator.crc,
             cd_crc32(0, &cd_dump_locator, offsetof(cd_dump_locator_t, crc)));

    CHECK_EQ(cd_dump_locator.dump_len[0], 0);
    CHECK_EQ(cd_dump_locator.dump_len[1], 0);

    make_ctx(10, 0);
    CHECK_EQ(run_crash(), 1);
    /* the crash path set the slot's length before programming it */
    uint32_t crash_len = cd_dump_locator.dump_len[0];
    CHECK(crash_len > 128u);
    CHECK_EQ(cd_dump_locator.crc,
             cd_crc32(0, &cd_dump_locator, offsetof(cd_dump_locator_t, crc)));
    CHECK_EQ(boot(), CD_OK);
    cd_wire_slot_t s;
    CHECK_EQ(cd_dump_slot_info(0, &s), CD_OK);
    CHECK_EQ(s.state, CD_SLOT_VALID);
    CHECK_EQ(cd_dump_locator.dump_len[0], s.total_len); /* the boot scan's view */
    CHECK_EQ(crash_len, s.total_len);
    CHECK_EQ(cd_dump_locator.dump_len[1], 0);
    CHECK_EQ(s.crash_count, 1);
    CHECK_EQ(s.code, 10);
    CHECK_EQ(cd_dump_slot_info(2, &s), CD_E_INVAL);
    CHECK_EQ(cd_dump_slot_info(0, &s), CD_OK);

    /* Read it all in pieces; the last piece is short; past the end is INVAL. */
    uint32_t got = 0;
    static uint8_t whole[4096];
    for (;;) {
        int n = cd_dump_read(0, got, whole + got, 500);
        CHECK(n >= 0);
        if (n <= 0) {
            break;
        }
        got += (uint32_t)n;
    }
    CHECK_EQ(got, s.total_len);
    CHECK_MEM(whole, fake_flash, got);
    CHECK_EQ(cd_dump_read(0, s.total_len, buf, 10), 0);
    CHECK_EQ(cd_dump_read(0, s.total_len + 1u, buf, 10), CD_E_INVAL);
    CHECK_EQ(cd_dump_status(&st), CD_OK);
    CHECK_EQ(st.record_valid, 1);
    memcpy(&r, st.record, sizeof r);
    CHECK_EQ(r.code, 10);

    CHECK_EQ(cd_dump_erase(0, 0, s.body_crc ^ 1u), CD_E_STATE);
    CHECK_EQ(slot_state(0), CD_SLOT_VALID);
    CHECK_EQ(cd_dump_erase(0, 0, s.body_crc), CD_OK);
    CHECK_EQ(slot_state(0), CD_SLOT_EMPTY);
    CHECK_EQ(cd_dump_locator.dump_len[0], 0);
    CHECK_EQ(cd_dump_locator.crc,
             cd_crc32(0, &cd_dump_locator, offsetof(cd_dump_locator_t, crc)));
    CHECK_EQ(cd_dump_erase(0, 0, 0), CD_E_NO_DUMP);
    CHECK_EQ(cd_dump_erase(0, CD_ERASE_F_FORCE, 0), CD_OK);
    CHECK_EQ(cd_dump_erase(5, CD_ERASE_F_FORCE, 0), CD_E_INVAL);

    /* A foreign (INVALID) slot: readable raw, erased only with force. Made by
     * scribbling after boot, as a second writer would. */
    fake_flash[4096 + 7] = 0x00;
    CHECK_EQ(boot(), CD_OK); /* erased ahead */
    CHECK_EQ(slot_state(1), CD_SLOT_EMPTY);
    CHECK_EQ(fake_flash[4096 + 7], 0xFF);
    make_ctx(11, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(boot(), CD_OK);
    CHECK_EQ(cd_dump_slot_info(0, &s), CD_OK);
    CHECK_EQ(s.state, CD_SLOT_VALID);
    CHECK_EQ(cd_dump_erase(0, CD_ERASE_F_FORCE, 0), CD_OK);
    CHECK_EQ(slot_state(0), CD_SLOT_EMPTY);
}

TEST(config_dump_fields)
{
    setup(8192, 2, 4);
    cd_config_t c = cfg_make();
    c.dump_slots = 1;
    CHECK_EQ(cd_init(&c), CD_E_CONFIG);
    c.dump_slots = CD_DUMP_SLOTS_MAX + 1u;
    CHECK_EQ(cd_init(&c), CD_E_CONFIG);
    c.dump_slots = 8; /* 8 KiB / 8 = 1 KiB: the minimum */
    CHECK_EQ(cd_init(&c), CD_OK);
    fake_geometry.size = 7168; /* 7 KiB / 8 rounds down to 0 pages */
    CHECK_EQ(cd_init(&c), CD_E_CONFIG);
    fake_geometry.size = 8192;
    c.dump_slots = 0; /* 0 = 2 */
    CHECK_EQ(cd_init(&c), CD_OK);
    cd_wire_dump_status_t st;
    CHECK_EQ(cd_dump_status(&st), CD_OK);
    CHECK_EQ(st.n_slots, 2);
    fake_geometry.write_size = 3;
    CHECK_EQ(cd_init(&c), CD_E_CONFIG);
    fake_geometry.write_size = 4;
    fake_geometry.size = 1536; /* not a multiple of the erase size */
    CHECK_EQ(cd_init(&c), CD_E_CONFIG);
    fake_geometry.size = 8192;
}

/* ------------------------------------------------------------ protocol commands */

static uint8_t rsp_payload[CD_FRAME_MAX];
static size_t rsp_len;
static uint8_t wire[2 * CD_FRAME_MAX];
static size_t wire_len;

static void wire_sink(void *user, const uint8_t *buf, size_t len)
{
    (void)user;
    memcpy(wire + wire_len, buf, len);
    wire_len += len;
}

/* One request through cd_proto_rx_byte()/cd_proto_poll(); returns the
 * response status (rsp_payload/rsp_len hold the payload), or 1000 if no answer. */
static int proto_call(uint8_t cmd, const void *payload, size_t len)
{
    static uint8_t id;
    uint8_t f[CD_FRAME_MAX];
    f[0] = cmd;
    f[1] = ++id;
    f[2] = f[3] = 0;
    if (len != 0) {
        memcpy(f + 4, payload, len);
    }
    uint32_t crc = cd_crc32(0, f, 4 + len);
    memcpy(f + 4 + len, &crc, 4);
    wire_len = 0;
    cd_frame_encode(f, len + 8, wire_sink, NULL);
    fake_tx_clear();
    for (size_t i = 0; i < wire_len; i++) {
        cd_proto_rx_byte(wire[i]);
    }
    cd_proto_poll();
    if (fake_tx_len == 0) {
        return 1000;
    }
    /* COBS decode up to the delimiter. */
    uint8_t d[CD_FRAME_MAX + 8];
    size_t n = 0, i = 0;
    while (i < fake_tx_len && fake_tx[i] != 0) {
        uint8_t code = fake_tx[i++];
        for (uint8_t k = 1; k < code && i < fake_tx_len; k++) {
            d[n++] = fake_tx[i++];
        }
        if (code != 0xFF && i < fake_tx_len && fake_tx[i] != 0) {
            d[n++] = 0;
        }
    }
    CHECK(n >= 8);
    CHECK_EQ(d[0], cmd | CD_CMD_RESPONSE);
    CHECK_EQ(d[1], id);
    uint32_t got;
    memcpy(&got, d + n - 4, 4);
    CHECK_EQ(got, cd_crc32(0, d, n - 4));
    rsp_len = n - 8;
    memcpy(rsp_payload, d + 4, rsp_len);
    int16_t st;
    memcpy(&st, d + 2, 2);
    return st;
}

TEST(proto_dump_commands)
{
    setup(8192, 2, 4);
    make_ctx(12, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(boot(), CD_OK);

    CHECK_EQ(proto_call(CD_CMD_INFO, NULL, 0), CD_OK);
    cd_wire_info_t info;
    memcpy(&info, rsp_payload, sizeof info);
    CHECK(info.caps & CD_CAP_DUMP);

    CHECK_EQ(proto_call(CD_CMD_DUMP_STATUS, NULL, 0), CD_OK);
    CHECK_EQ(rsp_len, sizeof(cd_wire_dump_status_t) + 2u * sizeof(cd_wire_slot_t));
    cd_wire_dump_status_t st;
    cd_wire_slot_t sl[2];
    memcpy(&st, rsp_payload, sizeof st);
    memcpy(sl, rsp_payload + sizeof st, sizeof sl);
    CHECK_EQ(st.n_slots, 2);
    CHECK_EQ(st.slot_size, 4096);
    CHECK_EQ(st.record_valid, 1);
    CHECK_EQ(sl[0].state, CD_SLOT_VALID);
    CHECK_EQ(sl[0].code, 12);
    CHECK_EQ(sl[1].state, CD_SLOT_EMPTY);
    CHECK_EQ(proto_call(CD_CMD_DUMP_STATUS, "x", 1), CD_E_MALFORMED);

    /* Pull the whole dump with the largest reads allowed. */
    static uint8_t pulled[4096];
    uint32_t off = 0;
    cd_wire_dump_read_t rd = {0, 0, 0, CD_FRAME_MAX - 8u};
    for (;;) {
        rd.offset = off;
        CHECK_EQ(proto_call(CD_CMD_DUMP_READ, &rd, sizeof rd), CD_OK);
        if (rsp_len == 0) {
            break;
        }
        memcpy(pulled + off, rsp_payload, rsp_len);
        off += (uint32_t)rsp_len;
    }
    CHECK_EQ(off, sl[0].total_len);
    CHECK_MEM(pulled, fake_flash, off);
    CHECK_EQ(cd_crc32(0, pulled + 128, off - 128u), sl[0].body_crc);
    rd.len = CD_FRAME_MAX - 7u;
    CHECK_EQ(proto_call(CD_CMD_DUMP_READ, &rd, sizeof rd), CD_E_INVAL);
    rd.len = 16;
    rd.offset = off + 4u;
    CHECK_EQ(proto_call(CD_CMD_DUMP_READ, &rd, sizeof rd), CD_E_INVAL);
    rd.slot = 1;
    rd.offset = 0;
    CHECK_EQ(proto_call(CD_CMD_DUMP_READ, &rd, sizeof rd), CD_E_NO_DUMP);
    rd.slot = 2;
    CHECK_EQ(proto_call(CD_CMD_DUMP_READ, &rd, sizeof rd), CD_E_INVAL);

    cd_wire_dump_erase_t er = {0, 0, sl[0].body_crc ^ 0x10u};
    CHECK_EQ(proto_call(CD_CMD_DUMP_ERASE, &er, sizeof er), CD_E_STATE);
    CHECK_EQ(slot_state(0), CD_SLOT_VALID);
    er.body_crc = sl[0].body_crc;
    CHECK_EQ(proto_call(CD_CMD_DUMP_ERASE, &er, sizeof er), CD_OK);
    CHECK_EQ(rsp_len, 0);
    CHECK_EQ(slot_state(0), CD_SLOT_EMPTY);
    er.flags = CD_ERASE_F_FORCE;
    er.slot = 1;
    CHECK_EQ(proto_call(CD_CMD_DUMP_ERASE, &er, sizeof er), CD_OK);

    /* FAULT: OK first, then the injection. */
    cd_wire_fault_t fk = {CD_FAULT_UNDEF};
    fake_fault_kind = 0;
#if CD_ENABLE_FAULT_CMDS
    CHECK_EQ(proto_call(CD_CMD_FAULT, &fk, sizeof fk), CD_OK);
    CHECK_EQ(fake_fault_kind, CD_FAULT_UNDEF);
    fk.kind = 99;
    fake_fault_kind = 0;
    CHECK_EQ(proto_call(CD_CMD_FAULT, &fk, sizeof fk), CD_E_INVAL);
    CHECK_EQ(fake_fault_kind, 0);
#else
    CHECK_EQ(proto_call(CD_CMD_FAULT, &fk, sizeof fk), CD_E_UNSUPPORTED);
    CHECK_EQ(fake_fault_kind, 0);
#endif
}

/* ------------------------------------------------------------ power cuts */

static uint8_t snap_flash[FAKE_FLASH_CAP];
static uint64_t snap_store[sizeof store_mem / 8u];
static uint8_t snap_noinit[256];

static void snapshot(void)
{
    size_t n;
    void *a = cd_dump_noinit_area(&n);
    memcpy(snap_flash, fake_flash, sizeof snap_flash);
    memcpy(snap_store, store_mem, sizeof snap_store);
    memcpy(snap_noinit, a, n);
}

static void restore(void)
{
    size_t n;
    void *a = cd_dump_noinit_area(&n);
    memcpy(fake_flash, snap_flash, sizeof snap_flash);
    memcpy(store_mem, snap_store, sizeof snap_store);
    memcpy(a, snap_noinit, n);
}

/* A second snapshot, of the state a first cut left (double cuts). */
static uint8_t snap2_flash[FAKE_FLASH_CAP];
static uint64_t snap2_store[sizeof store_mem / 8u];
static uint8_t snap2_noinit[256];

static void snapshot2(void)
{
    size_t n;
    void *a = cd_dump_noinit_area(&n);
    memcpy(snap2_flash, fake_flash, sizeof snap2_flash);
    memcpy(snap2_store, store_mem, sizeof snap2_store);
    memcpy(snap2_noinit, a, n);
}

static void restore2(void)
{
    size_t n;
    void *a = cd_dump_noinit_area(&n);
    memcpy(fake_flash, snap2_flash, sizeof snap2_flash);
    memcpy(store_mem, snap2_store, sizeof snap2_store);
    memcpy(a, snap2_noinit, n);
}

/* What a reset does to RAM: a watchdog or brown-out reset keeps it; a power
 * cut loses it, and RAM then powers up as garbage or as zeros. */
enum { RAM_KEPT, RAM_GARBAGE, RAM_ZERO, RAM_MODES };
static const char *const ram_names[] = {"RAM kept", "RAM garbage", "RAM zeroed"};

static void reset_ram(int mode)
{
    size_t n;
    uint8_t *a = cd_dump_noinit_area(&n);
    if (mode == RAM_GARBAGE) {
        uint32_t x = 0x9E3779B9u;
        for (size_t i = 0; i < n; i++) {
            x = x * 1664525u + 1013904223u;
            a[i] = (uint8_t)(x >> 24);
        }
        for (size_t i = 0; i < sizeof store_mem; i++) {
            x = x * 1664525u + 1013904223u;
            ((uint8_t *)store_mem)[i] = (uint8_t)(x >> 24);
        }
    } else if (mode == RAM_ZERO) {
        memset(a, 0, n);
        memset(store_mem, 0, sizeof store_mem);
    }
}

/* Power-cut (and fault) points exercised, by kind; printed by main(). */
enum { K_CRASH, K_DOUBLE, K_BOOT_ERASE, K_HOST_ERASE, K_FAULT_BOOT, K_FAULT_HOST, K_FAULT_CRASH,
       K_KINDS };
static int points[K_KINDS];
static int cut_points_tested;

/* Every slot is EMPTY or VALID after a boot; every VALID one is an earlier
 * dump unchanged (before_state/snap_flash) or `ref` in ref_slot; an earlier
 * dump other than `victim` still holds. Returns 0 and says why on failure. */
static int slots_sane(uint32_t slots, const uint8_t *before_state, int ref_slot,
                      const uint8_t *ref, int victim, int after_boot)
{
    int ok = 1;
    parsed_t p;
    for (uint32_t i = 0; i < slots; i++) {
        const uint8_t *old = snap_flash + (size_t)i * slot_size();
        if (after_boot && slot_state(i) == CD_SLOT_INVALID) {
            fprintf(stderr, "  slot %u INVALID after boot\n", i);
            ok = 0;
        }
        if (parse(i, &p)) {
            int same_old = before_state[i] == CD_SLOT_VALID &&
                           memcmp(slot_ptr(i), old, p.h.total_len) == 0;
            int same_ref = ref != NULL && (int)i == ref_slot &&
                           memcmp(slot_ptr(i), ref, p.h.total_len) == 0;
            if (!(same_old || same_ref)) {
                fprintf(stderr, "  slot %u holds a wrong VALID dump\n", i);
                ok = 0;
            }
        } else if (before_state[i] == CD_SLOT_VALID && (int)i != victim) {
            fprintf(stderr, "  earlier dump in slot %u destroyed\n", i);
            ok = 0;
        }
    }
    return ok;
}

/* After recovery: the next crash writes cleanly and is found after a boot. */
static void next_crash_works(uint32_t slots, uint32_t code)
{
    parsed_t p;
    fake_flash_overprogram = 0;
    make_ctx(code, 0);
    CHECK_EQ(run_crash(), 1);
    CHECK_EQ(fake_flash_overprogram, 0);
    CHECK_EQ(boot(), CD_OK);
    int found = 0;
    for (uint32_t i = 0; i < slots; i++) {
        found |= parse(i, &p) && p.h.code == code;
    }
    CHECK(found);
}

/* Crashes `earlier` times, then cuts crash number earlier+1 at every flash
 * operation; after each cut, also cuts the clean-up boot that follows at each
 * of its operations (double cut). ram: what the reset does to RAM. */
static void power_cut_crash(uint32_t slots, uint32_t ws, int earlier, int ram)
{
    setup(slots * 2048u, slots, ws);
    for (int k = 1; k <= earlier; k++) {
        make_ctx((uint32_t)k, 0);
        CHECK_EQ(run_crash(), 1);
        CHECK_EQ(boot(), CD_OK);
    }
    snapshot();
    uint8_t before_state[CD_DUMP_SLOTS_MAX];
    for (uint32_t i = 0; i < slots; i++) {
        before_state[i] = slot_state(i);
    }

    /* Reference: the same crash, uncut. */
    static uint8_t ref[FAKE_FLASH_CAP];
    restore();
    CHECK_EQ(boot(), CD_OK);
    make_ctx(99, CD_DUMP_F_FPU);
    fake_flash_reset_ops();
    CHECK_EQ(run_crash(), 1);
    uint32_t total_ops = fake_flash_ops;
    parsed_t p;
    int ref_slot = -1;
    for (uint32_t i = 0; i < slots; i++) {
        if (parse(i, &p) && p.h.code == 99) {
            ref_slot = (int)i;
            memcpy(ref, slot_ptr(i), p.h.total_len);
        }
    }
    CHECK(ref_slot >= 0);
    if (ref_slot < 0) {
        return;
    }
    int victim = -1;
    if (before_state[ref_slot] == CD_SLOT_VALID) {
        victim = ref_slot; /* 2 slots full: the newest was replaced */
    }
    CHECK(total_ops > 3);

    for (uint32_t n = 1; n <= total_ops; n++) {
        restore();
        CHECK_EQ(boot(), CD_OK);
        make_ctx(99, CD_DUMP_F_FPU);
        fake_flash_reset_ops();
        fake_flash_cut_at = n;
        int how = run_crash();
        fake_flash_cut_at = 0;
        CHECK_EQ(how, 2);
        cut_points_tested++;
        points[K_CRASH]++;
        /* The record was written before the dump began. */
        cd_crash_record_t r;
        CHECK_EQ(cd_last_crash(&r), CD_OK);
        CHECK_EQ(r.code, 99);
        CHECK_EQ(r.crash_count, (uint32_t)earlier + 1u);
        reset_ram(ram);

        /* Every valid slot is an earlier dump unchanged or the complete dump. */
        if (!slots_sane(slots, before_state, ref_slot, ref, victim, 0)) {
            CHECK(0);
            fprintf(stderr, "  cut at op %u of the crash (%s)\n", n, ram_names[ram]);
        }

        /* Double cut: the clean-up boot after this cut, cut at each of its
         * operations, then a clean boot. */
        snapshot2();
        fake_flash_reset_ops();
        CHECK_EQ(run_boot(), 0);
        uint32_t boot_ops = fake_flash_ops;
        for (uint32_t m = 1; m <= boot_ops; m++) {
            restore2();
            fake_flash_reset_ops();
            fake_flash_cut_at = m;
            CHECK_EQ(run_boot(), 2);
            fake_flash_cut_at = 0;
            cut_points_tested++;
            points[K_DOUBLE]++;
            reset_ram(ram);
            CHECK_EQ(run_boot(), 0);
            if (!slots_sane(slots, before_state, ref_slot, ref, victim, 1)) {
                CHECK(0);
                fprintf(stderr, "  cut at op %u of the crash, then op %u of the boot (%s)\n", n,
                        m, ram_names[ram]);
            }
        }
        restore2();

        /* Reboot: torn slots are erased, valid ones kept; the next crash then
         * writes cleanly (no programming over unerased bytes). */
        CHECK_EQ(run_boot(), 0);
        for (uint32_t i = 0; i < slots; i++) {
            uint8_t st = slot_state(i);
            CHECK(st != CD_SLOT_INVALID);
            if (st == CD_SLOT_VALID) {
                CHECK(parse(i, &p));
            }
        }
        next_crash_works(slots, 100);
    }
}

TEST(power_cut_during_crash)
{
    static const uint32_t ws[] = {1, 2, 4, 8};
    for (size_t w = 0; w < sizeof ws / sizeof ws[0]; w++) {
        for (int ram = 0; ram < RAM_MODES; ram++) {
            power_cut_crash(2, ws[w], 1, ram); /* one earlier dump, one empty slot */
            power_cut_crash(2, ws[w], 2, ram); /* both full: the newest is replaced */
            power_cut_crash(3, ws[w], 1, ram);
        }
    }
}

static int find_empty_slot_exists(void)
{
    for (uint32_t i = 0; i < g_slots; i++) {
        if (slot_state(i) == CD_SLOT_EMPTY) {
            return 1;
        }
    }
    return 0;
}

/* Fills every slot (crashes 1..slots; the last without a boot after it), so
 * the next boot must erase: the policy victim (3+ slots), or with `torn` a
 * slot scribbled on as a torn write leaves it. Returns the slot the boot
 * erases. */
static int fill_for_boot_erase(uint32_t slots, uint32_t ws, int torn)
{
    setup(slots * 2048u, slots, ws);
    for (uint32_t k = 1; k <= slots; k++) {
        make_ctx(k, 0);
        CHECK_EQ(run_crash(), 1);
        if (k < slots) {
            CHECK_EQ(boot(), CD_OK);
        }
    }
    if (torn) {
        uint32_t t = slots - 1u;
        fake_flash[(size_t)t * slot_size() + 200u] ^= 0x5A; /* body: CRC fails */
        return (int)t;
    }
    /* The victim: the lowest crash count that is neither 1 nor `slots`. */
    int v = -1;
    uint32_t best = 0;
    parsed_t p;
    for (uint32_t i = 0; i < slots; i++) {
        if (parse(i, &p) && p.h.crash_count != 1u && p.h.crash_count != slots &&
            (v < 0 || p.h.crash_count < best)) {
            v = (int)i;
            best = p.h.crash_count;
        }
    }
    return v;
}

/* The boot-time erase cut at every operation, then a reboot. */
static void power_cut_boot_erase(uint32_t slots, uint32_t ws, int torn, int ram)
{
    int victim = fill_for_boot_erase(slots, ws, torn);
    CHECK(victim >= 0);
    snapshot();
    uint8_t before_state[CD_DUMP_SLOTS_MAX];
    parsed_t p;
    for (uint32_t i = 0; i < slots; i++) {
        before_state[i] = parse(i, &p) ? CD_SLOT_VALID : CD_SLOT_INVALID;
    }
    restore();
    fake_flash_reset_ops();
    CHECK_EQ(run_boot(), 0);
    uint32_t total_ops = fake_flash_ops;
    uint32_t dropped_uncut = dropped_now();
    CHECK(total_ops >= 2);
    for (uint32_t n = 1; n <= total_ops; n++) {
        restore();
        fake_flash_reset_ops();
        fake_flash_cut_at = n;
        CHECK_EQ(run_boot(), 2);
        fake_flash_cut_at = 0;
        cut_points_tested++;
        points[K_BOOT_ERASE]++;
        reset_ram(ram);
        CHECK_EQ(run_boot(), 0);
        if (!slots_sane(slots, before_state, -1, NULL, victim, 1)) {
            CHECK(0);
            fprintf(stderr, "  %u slots ws %u%s: boot erase cut at op %u (%s)\n", slots, ws,
                    torn ? " torn" : "", n, ram_names[ram]);
        }
        int ccs = 0;
        for (uint32_t i = 0; i < slots; i++) {
            if (parse(i, &p) && p.h.crash_count < 31u) {
                ccs |= 1 << p.h.crash_count;
            }
        }
        /* The first and the newest crash kept (torn: the newest was the
         * torn slot). */
        uint32_t want = (1u << 1) | (torn ? 0u : 1u << slots);
        CHECK_EQ(ccs & want, want);
        if (slots >= 3) {
            CHECK(find_empty_slot_exists());
        }
        /* A dump erased by the policy is counted once, even when its erase
         * was cut and finished by the next boot. */
        if (ram == RAM_KEPT) {
            CHECK_EQ(dropped_now(), dropped_uncut);
        }
        next_crash_works(slots, 101);
    }
}

/* The boot-time erase (policy victim, torn slot) for every slot count and
 * write size. */
TEST(power_cut_during_boot_erase)
{
    static const uint32_t ws[] = {1, 2, 4, 8};
    for (uint32_t slots = 2; slots <= CD_DUMP_SLOTS_MAX; slots++) {
        for (size_t w = 0; w < sizeof ws / sizeof ws[0]; w++) {
            for (int ram = 0; ram < RAM_MODES; ram++) {
                if (slots >= 3) {
                    power_cut_boot_erase(slots, ws[w], 0, ram);
                }
                power_cut_boot_erase(slots, ws[w], 1, ram);
            }
        }
    }
}

/* A host DUMP_ERASE cut at every operation: the slot is afterwards either
 * its dump unchanged or EMPTY; the others are untouched. */
TEST(power_cut_during_host_erase)
{
    static const uint32_t ws[] = {1, 2, 4, 8};
    for (size_t w = 0; w < sizeof ws / sizeof ws[0]; w++) {
        for (int ram = 0; ram < RAM_MODES; ram++) {
            setup(3u * 2048u, 3, ws[w]);
            for (uint32_t k = 1; k <= 2; k++) {
                make_ctx(k, 0);
                CHECK_EQ(run_crash(), 1);
                CHECK_EQ(boot(), CD_OK);
            }
            snapshot();
            uint8_t before_state[CD_DUMP_SLOTS_MAX] = {CD_SLOT_VALID, CD_SLOT_VALID,
                                                       CD_SLOT_EMPTY};
            cd_wire_slot_t s;
            CHECK_EQ(cd_dump_slot_info(1, &s), CD_OK);
            fake_flash_reset_ops();
            CHECK_EQ(cd_dump_erase(1, 0, s.body_crc), CD_OK);
            uint32_t total_ops = fake_flash_ops;
            CHECK(total_ops >= 2);
            for (uint32_t n = 1; n <= total_ops; n++) {
                restore();
                CHECK_EQ(boot(), CD_OK);
                fake_flash_reset_ops();
                fake_flash_cut_at = n;
                static volatile int cut;
                cut = 0;
                if (setjmp(fake_cut_jmp) == 0) {
                    (void)cd_dump_erase(1, 0, s.body_crc);
                } else {
                    cut = 1;
                }
                fake_flash_cut_at = 0;
                CHECK(cut);
                cut_points_tested++;
                points[K_HOST_ERASE]++;
                reset_ram(ram);
                CHECK_EQ(run_boot(), 0);
                if (!slots_sane(3, before_state, -1, NULL, 1, 1)) {
                    CHECK(0);
                    fprintf(stderr, "  host erase cut at op %u (ws %u, %s)\n", n, ws[w],
                            ram_names[ram]);
                }
                CHECK_EQ(slot_cc(0), 1);
                next_crash_works(3, 102);
            }
        }
    }
}

/* ------------------------------------------------------------ a fault during an erase */

static void fault_now(void)
{
    cd_crash_handle(&ctx_g); /* what the fault entry does; resets */
}

/* cd_init() during which a fault may arrive: 0 done, 1 the fault reset. */
static int run_boot_faulting(void)
{
    static volatile int how;
    how = 0;
    fake_reset_armed = 1;
    if (setjmp(fake_reset_jmp) != 0) {
        how = 1;
    } else {
        CHECK_EQ(boot(), CD_OK);
    }
    fake_reset_armed = 0;
    return how;
}

/* After a fault during an erase and its reset, before the next boot (whose
 * policy may legitimately erase another dump): the fault's dump is there,
 * complete, and the earlier dumps other than the victim are unchanged; the
 * record says OK. */
static void fault_dump_kept(uint32_t slots, const uint8_t *before_state, int victim,
                            uint32_t code, const char *what, uint32_t n)
{
    int found = -1;
    parsed_t p;
    for (uint32_t i = 0; i < slots; i++) {
        if (parse(i, &p) && p.h.code == code) {
            found = (int)i;
        }
    }
    CHECK(found >= 0);
    int sane = found >= 0 && slots_sane(slots, before_state, found, slot_ptr((uint32_t)found),
                                        victim, 0);
    CHECK_EQ(fake_flash_overprogram, 0);
    CHECK_EQ(boot(), CD_OK);
    cd_crash_record_t r;
    CHECK_EQ(cd_last_crash(&r), CD_OK);
    CHECK_EQ(r.result, CD_OK);
    CHECK_EQ(r.code, code);
    if (found < 0 || !sane || r.result != CD_OK) {
        CHECK(0);
        fprintf(stderr, "  fault during %s, op %u (%u slots): dump lost (result %d)\n", what, n,
                slots, r.result);
    }
}

TEST(fault_during_boot_erase_still_dumps)
{
    static const uint32_t ws[] = {1, 4};
    fake_flash_fault_fn = fault_now;
    for (uint32_t slots = 2; slots <= 4; slots++) {
        for (size_t w = 0; w < sizeof ws / sizeof ws[0]; w++) {
            for (int torn = 0; torn < 2; torn++) {
                if (slots == 2 && !torn) {
                    continue; /* 2 slots: nothing to erase at boot unless torn */
                }
                int victim = fill_for_boot_erase(slots, ws[w], torn);
                snapshot();
                uint8_t before_state[CD_DUMP_SLOTS_MAX];
                parsed_t p;
                for (uint32_t i = 0; i < slots; i++) {
                    before_state[i] = parse(i, &p) ? CD_SLOT_VALID : CD_SLOT_INVALID;
                }
                restore();
                fake_flash_reset_ops();
                CHECK_EQ(run_boot_faulting(), 0);
                uint32_t total_ops = fake_flash_ops;
                for (uint32_t n = 1; n <= total_ops; n++) {
                    restore();
                    fake_flash_reset_ops();
                    fake_flash_overprogram = 0;
                    make_ctx(77, 0);
                    fake_flash_fault_at = n;
                    CHECK_EQ(run_boot_faulting(), 1);
                    fake_flash_fault_at = 0;
                    points[K_FAULT_BOOT]++;
                    fault_dump_kept(slots, before_state, victim, 77, "the boot erase", n);
                }
            }
        }
    }
}

TEST(fault_during_host_erase_still_dumps)
{
    fake_flash_fault_fn = fault_now;
    for (uint32_t slots = 2; slots <= 3; slots++) {
        setup(slots * 2048u, slots, 4);
        for (uint32_t k = 1; k <= 2; k++) {
            make_ctx(k, 0);
            CHECK_EQ(run_crash(), 1);
            CHECK_EQ(boot(), CD_OK);
        }
        snapshot();
        uint8_t before_state[CD_DUMP_SLOTS_MAX] = {CD_SLOT_VALID, CD_SLOT_VALID, CD_SLOT_EMPTY};
        cd_wire_slot_t s;
        CHECK_EQ(cd_dump_slot_info(1, &s), CD_OK);
        fake_flash_reset_ops();
        CHECK_EQ(cd_dump_erase(1, 0, s.body_crc), CD_OK);
        uint32_t total_ops = fake_flash_ops;
        for (uint32_t n = 1; n <= total_ops; n++) {
            restore();
            CHECK_EQ(boot(), CD_OK);
            uint32_t dropped = dropped_now();
            fake_flash_reset_ops();
            fake_flash_overprogram = 0;
            make_ctx(78, 0);
            fake_flash_fault_at = n;
            CHECK_EQ(run_crash_with(1, s.body_crc), 1);
            fake_flash_fault_at = 0;
            points[K_FAULT_HOST]++;
            fault_dump_kept(slots, before_state, 1, 78, "a host erase", n);
            CHECK_EQ(dropped_now(), dropped); /* the host's erase is not a lost crash */
        }
    }
}

/* 2 slots both full: the crash erases the newest itself; a fault during that
 * erase is a nested fault, which must still write the dump. */
TEST(fault_during_crash_erase_still_dumps)
{
    fake_flash_fault_fn = fault_now;
    setup(2u * 2048u, 2, 4);
    for (uint32_t k = 1; k <= 2; k++) {
        make_ctx(k, 0);
        CHECK_EQ(run_crash(), 1);
        CHECK_EQ(boot(), CD_OK);
    }
    snapshot();
    uint8_t before_state[CD_DUMP_SLOTS_MAX] = {CD_SLOT_VALID, CD_SLOT_VALID};
    make_ctx(79, 0);
    fake_flash_reset_ops();
    CHECK_EQ(run_crash(), 1);
    uint32_t erase_ops = fake_flash_erases;
    CHECK(erase_ops >= 2);
    for (uint32_t n = 1; n <= erase_ops; n++) {
        restore();
        CHECK_EQ(boot(), CD_OK);
        fake_flash_reset_ops();
        fake_flash_overprogram = 0;
        make_ctx(79, 0);
        fake_flash_fault_at = n; /* the erases come first */
        CHECK_EQ(run_crash(), 1);
        fake_flash_fault_at = 0;
        points[K_FAULT_CRASH]++;
        fault_dump_kept(2, before_state, 1, 79, "the crash's own erase", n);
        parsed_t p;
        CHECK(parse(1, &p) && (p.h.flags & CD_DUMP_F_NESTED));
    }
}

int main(void)
{
    void *m = mmap((void *)(uintptr_t)RAM_BASE, RAM_LEN, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (m != (void *)(uintptr_t)RAM_BASE) {
        fprintf(stderr, "cannot map fake RAM at 0x%08x\n", RAM_BASE);
        return 1;
    }
    ram = m;
    RUN(dump_contents_parse_back);
    RUN(dump_verifies_while_memory_changes);
    RUN(dump_not_taken_by_flash_is_reported);
    RUN(dump_lists_threads_current_first);
    RUN(dump_stack_clipped_and_bad_sp);
    RUN(dump_truncated_when_slot_small);
    RUN(slot_policy_2_slots);
    RUN(slot_policy_3_slots);
    RUN(slot_policy_across_the_counter_wrap);
    RUN(dropped_counts_dumps_the_policy_erased);
    RUN(crash_loop_limit_skips_dump);
    RUN(nested_fault_in_triage_callback);
    RUN(nested_fault_while_writing);
    RUN(overwritten_library_state_still_leaves_a_record);
    RUN(flash_error_drops_dump);
    RUN(dump_api_status_read_erase);
    RUN(config_dump_fields);
    RUN(proto_dump_commands);
    RUN(power_cut_during_crash);
    RUN(power_cut_during_boot_erase);
    RUN(power_cut_during_host_erase);
    RUN(fault_during_boot_erase_still_dumps);
    RUN(fault_during_host_erase_still_dumps);
    RUN(fault_during_crash_erase_still_dumps);
    printf("power-cut points tested: %d (crash %d, double cut: crash then clean-up boot %d, "
           "boot-time erase %d, host DUMP_ERASE %d; each with RAM kept, garbage, zeroed; "
           "write sizes 1 2 4 8)\n",
           cut_points_tested, points[K_CRASH], points[K_DOUBLE], points[K_BOOT_ERASE],
           points[K_HOST_ERASE]);
    printf("fault during an erase: boot-time erase %d, host DUMP_ERASE %d, crash's own erase %d\n",
           points[K_FAULT_BOOT], points[K_FAULT_HOST], points[K_FAULT_CRASH]);
    return UNIT_END();
}
