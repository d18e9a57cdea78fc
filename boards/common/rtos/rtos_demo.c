/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump-rtos: a TEST FIXTURE for dumps of threaded firmware, on the
 * scheduler fixture (sched.h). Threads:
 *   proto   serves the serial protocol (cd_proto_poll()); the FAULT command
 *           therefore faults inside this thread
 *   worker  counts, and obeys records the host writes to a data source
 *           labelled "ctl": 2 bytes {where, kind}, where 1 = raise fault
 *           `kind` (CD_FAULT_*) in this thread, 2 = in an interrupt handler
 *           that interrupts it; 8 bytes {3, kind, len (LE16), addr (LE32)}
 *           = overwrite len bytes at addr with 0xDB, as a runaway stack or
 *           buffer would, then raise fault `kind` (interrupts masked between);
 *           {4, 0} = write below the bottom of this thread's stack, as a too
 *           deep call would, then yield: a stack guard faults at the first
 *           write (v7-M, v8-M), or the switch's stack check calls the
 *           stack-overflow hook (any core)
 *   fpu     (hard-float builds) keeps floating-point state live, so its saved
 *           context holds s16-s31
 *   idle    main() after sched_start()
 * All are registered with crashdump (CD_THREAD_MAX), so a dump names the
 * crashed thread and holds every thread's stack top.
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cm_regs.h"
#include "cm_startup.h"
#include "crashdump/crashdump.h"
#include "demo_board.h"
#include "sched.h"

#define TICK_HZ 1000u
#define CTL_LABEL "ctl"
#define WHERE_THREAD 1u
#define WHERE_IRQ 2u
#define WHERE_SMASH 3u
#define WHERE_OVERRUN 4u

/* A spare interrupt whose handler raises a fault (in handler mode). */
#if defined(BOARD_MPS2_TZ)
#define RTOS_FAULT_IRQ 46
#elif defined(__ARM_ARCH_6M__)
#define RTOS_FAULT_IRQ 24 /* nRF51 SWI4 (SWI5 is the watchdog warning's) */
#else
#define RTOS_FAULT_IRQ 30
#endif

/* The library's test-only injector (CRASHDUMP_FAULT_CMDS builds). */
int cd_fault_inject(uint32_t kind);

static uint8_t storage[CD_STORAGE_SIZE(DEMO_SELF_ITEM_SIZE, DEMO_SELF_ITEM_COUNT, DEMO_SOURCE_COUNT,
                                       DEMO_SOURCE_MAX_BYTES, DEMO_TRIAGE_COUNT)] CD_NOINIT;

static sched_thread_t th_proto, th_worker, th_fpu, th_idle;
#if defined(__ARM_ARCH_6M__) /* 16 KiB of RAM */
#define STK_SCALE 2u
#else
#define STK_SCALE 1u
#endif
static uint8_t stk_proto[2048 / STK_SCALE] __attribute__((aligned(8)));
static uint8_t stk_worker[1024 / STK_SCALE] __attribute__((aligned(8)));
static uint8_t stk_fpu[1024 / STK_SCALE / STK_SCALE] __attribute__((aligned(8)));
static uint8_t stk_idle[512 / STK_SCALE] __attribute__((aligned(8)));

/* Saved with every crash (a triage range). */
static struct {
    uint32_t magic;          /* "RTOS" */
    uint32_t worker_loops;
    uint32_t fpu_loops;
    uint32_t frames;
    uint32_t commands;   /* ctl records obeyed */
} app;

static volatile uint32_t s_irq_kind;

void CM_IRQ_HANDLER(RTOS_FAULT_IRQ)(void)
{
    (void)cd_fault_inject(s_irq_kind);
}

static cd_ring_t *ctl_source(void)
{
    cd_ring_t *r;
    for (uint32_t i = 0; (r = cd_source_at(i, NULL)) != NULL; i++) {
        if (strncmp(cd_ring_label(r), CTL_LABEL, CD_LABEL_LEN) == 0) {
            return r;
        }
    }
    return NULL;
}

static void proto_thread(void *arg)
{
    (void)arg;
    for (;;) {
        board_rx_hold();
        int handled = cd_proto_poll();
        board_rx_resume();
        if (handled) {
            app.frames++;
        } else {
            sched_sleep(1);
        }
    }
}

/* Writes from the current SP down into the stack's lowest bytes (the canary
 * the switch checks, or the guard), the way a call chain one frame too deep
 * would, and yields. */
__attribute__((noinline)) static void overrun(void)
{
    uint32_t sp;
    __asm volatile("mov %0, sp" : "=r"(sp));
    volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)sp;
    while ((uintptr_t)p > (uintptr_t)stk_worker + 4u) {
        *--p = 0x5Au;
    }
    sched_sleep(1);
}

__attribute__((noinline)) static void worker_obey(const uint8_t *rec)
{
    uint8_t where = rec[0], kind = rec[1];
    app.commands++; /* before and after: no tail call, so worker_obey is a frame */
    if (where == WHERE_SMASH) {
        uint32_t len = (uint32_t)rec[2] | (uint32_t)rec[3] << 8;
        volatile uint8_t *at = (volatile uint8_t *)(uintptr_t)((uint32_t)rec[4] |
                                                             (uint32_t)rec[5] << 8 |
                                                             (uint32_t)rec[6] << 16 |
                                                             (uint32_t)rec[7] << 24);
        cm_irq_disable();
        for (uint32_t i = 0; i < len; i++) {
            at[i] = 0xDBu;
        }
        (void)cd_fault_inject(kind);
    } else if (where == WHERE_OVERRUN) {
        overrun();
    } else if (where == WHERE_THREAD) {
        (void)cd_fault_inject(kind);
        app.commands++;
    } else if (where == WHERE_IRQ) {
        s_irq_kind = kind;
        cm_nvic_set_pending(RTOS_FAULT_IRQ);
        cm_dsb();
        cm_isb();
    }
}

static void worker_thread(void *arg)
{
    (void)arg;
    for (;;) {
        app.worker_loops++;
        cd_ring_t *ctl = ctl_source();
        uint8_t rec[8];
        uint32_t seq, lost;
        int n = ctl != NULL ? cd_ring_read(ctl, rec, sizeof rec, &seq, &lost) : 0;
        if (n == 2 || (n == 8 && rec[0] == WHERE_SMASH)) {
            /* Let the proto thread finish its reply first: a host that saw
             * no reply before the crash would send the record again. */
            sched_sleep(50);
            worker_obey(rec);
        }
        sched_sleep(5);
    }
}

static void fpu_thread(void *arg)
{
    (void)arg;
#if defined(__ARM_FP)
    volatile float acc = 1.0f;
    for (;;) {
        for (int i = 0; i < 100; i++) {
            acc = acc * 1.0001f + 0.5f;
        }
        app.fpu_loops++;
        sched_sleep(3);
    }
#else
    for (;;) {
        app.fpu_loops++;
        sched_sleep(3);
    }
#endif
}

static void idle(void)
{
    uint32_t healthy_at = 5u * TICK_HZ;
    for (;;) {
        if (healthy_at != 0u && sched_ticks() >= healthy_at) {
            cd_mark_healthy();
            healthy_at = 0u;
        }
        cm_wfi();
    }
}

int main(void)
{
    static const cd_config_t cfg = {
        .component_name = "crashdump-rtos",
        /* 0b5e7c1a-3f2d-4e8b-9a61-d4c3b2a19f08 */
        .self_guid = {{0x0b, 0x5e, 0x7c, 0x1a, 0x3f, 0x2d, 0x4e, 0x8b,
                       0x9a, 0x61, 0xd4, 0xc3, 0xb2, 0xa1, 0x9f, 0x08}},
        .self_item_size = DEMO_SELF_ITEM_SIZE,
        .self_item_count = DEMO_SELF_ITEM_COUNT,
        .source_count = DEMO_SOURCE_COUNT,
        .source_max_bytes = DEMO_SOURCE_MAX_BYTES,
        .triage_count = DEMO_TRIAGE_COUNT,
        .dump_slots = DEMO_DUMP_SLOTS,
        .stack_dump_bytes = 1024,
        .storage = storage,
        .storage_size = sizeof storage,
    };

    cm_irq_disable();
    if (cd_init(&cfg) != CD_OK) {
        for (;;) {
        }
    }
    board_start();
    app.magic = 0x534F5452u; /* "RTOS" */
    (void)cd_triage_add(&app, sizeof app);
    cm_nvic_clear_pending(RTOS_FAULT_IRQ);
    cm_nvic_enable(RTOS_FAULT_IRQ);

    sched_create(&th_fpu, "fpu", fpu_thread, NULL, stk_fpu, sizeof stk_fpu);
    sched_create(&th_worker, "worker", worker_thread, NULL, stk_worker, sizeof stk_worker);
    sched_create(&th_proto, "proto", proto_thread, NULL, stk_proto, sizeof stk_proto);
    cm_irq_enable();
    sched_start(&th_idle, stk_idle, sizeof stk_idle, BOARD_CPU_HZ, TICK_HZ, idle);
}
