/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump demo application, shared by every board (boards/<board>/ adds only
 * its port and constants, see demo_board.h). It configures the library with:
 *   - a self ring that SysTick writes to every 100 ms,
 *   - host data sources and a triage range over the demo's state,
 *   - crash dumps (3 slots unless the board sets DEMO_DUMP_SLOTS, 1 KiB of
 *     stack, crash-loop limit 10), with an additional-data blob (magic,
 *     uptime, boot count) under a fixed GUID and a
 *     fault-time triage callback that misbehaves on request of the fault
 *     injector (unmapped range, or a fault inside the fault path);
 * prints the last crash at boot, marks the firmware healthy after 5 s of
 * uptime, and serves the serial protocol from the main loop.
 */
#include <stddef.h>
#include <stdint.h>

#include "cm_regs.h"
#include "crashdump/cd_port.h"
#include "crashdump/crashdump.h"
#include "demo_board.h"

#define TICK_HZ 10u              /* one self-ring record per tick */
#define HEALTHY_AFTER_TICKS (5u * TICK_HZ)
#define STACK_DUMP_BYTES 1024u
#define CRASH_LOOP_LIMIT 10u
#define UNMAPPED_RANGE_LEN 64u

#define DEMO_MAGIC 0x4F4D4544u   /* "DEMO" */
#define BLOB_MAGIC 0x424F4C42u   /* "BLOB" */

static uint8_t storage[CD_STORAGE_SIZE(DEMO_SELF_ITEM_SIZE, DEMO_SELF_ITEM_COUNT, DEMO_SOURCE_COUNT,
                                       DEMO_SOURCE_MAX_BYTES, DEMO_TRIAGE_COUNT)] CD_NOINIT;

/* What a crash dump of this demo shows through its triage range. */
static struct {
    uint32_t magic;      /* "DEMO", to spot the struct in a dump */
    uint32_t boot_count;
    volatile uint32_t ticks; /* SysTick periods since boot */
    uint32_t frames;     /* protocol frames handled since boot */
#if defined(__ARM_FP)
    float load;          /* smoothed frames per tick: keeps the FPU in use */
#endif
} demo;

/* The additional-data section of every dump (little-endian, 12 bytes). */
typedef struct {
    uint32_t magic;      /* "BLOB" */
    uint32_t uptime_ticks;
    uint32_t boot_count;
} demo_blob_t;

/* Writes the decimal form of v at p; returns the end. */
static char *put_u32(char *p, uint32_t v)
{
    char tmp[10];
    size_t n = 0;

    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0u);
    while (n != 0u) {
        *p++ = tmp[--n];
    }
    return p;
}

static char *put_hex(char *p, uint32_t v)
{
    *p++ = '0';
    *p++ = 'x';
    for (int shift = 28; shift >= 0; shift -= 4) {
        *p++ = "0123456789abcdef"[(v >> shift) & 0xFu];
    }
    return p;
}

static char *put_str(char *p, const char *s)
{
    while (*s != '\0') {
        *p++ = *s++;
    }
    return p;
}

void SysTick_Handler(void)
{
    char rec[sizeof("tick 4294967295 load 4294967295")];
    char *end;

    demo.ticks++;
    end = put_u32(put_str(rec, "tick "), demo.ticks);
#if defined(__ARM_FP)
    demo.load = demo.load * 0.875f + (float)demo.frames * 0.125f;
    end = put_u32(put_str(end, " load "), (uint32_t)(demo.load * 1000.0f));
#endif
    (void)cd_self_write(rec, (size_t)(end - rec));
}

/* Fault context: the blob's size, known before anything is written. */
static size_t blob_query(void *user)
{
    (void)user;
    return sizeof(demo_blob_t);
}

static void blob_write(void *user, cd_writer_t *w)
{
    demo_blob_t b = {BLOB_MAGIC, demo.ticks, demo.boot_count};

    (void)user;
    (void)cd_writer_put(w, &b, sizeof(b));
}

/* Fault context. Normally adds nothing; the fault injector's two test kinds
 * make it misbehave the way a careless client might. */
static void triage_cb(void *user, uint32_t code, uint32_t p1, uint32_t p2, uint32_t p3, uint32_t p4)
{
    (void)user;
    (void)code;
    (void)p1;
    (void)p2;
    (void)p3;
    (void)p4;
    switch (cd_fault_injected()) {
    case CD_FAULT_TRIAGE_UNMAPPED:
        /* Outside the memory map: the library records it as unreadable. */
        (void)cd_triage_add((const void *)BOARD_UNMAPPED_ADDR, UNMAPPED_RANGE_LEN);
        break;
    case CD_FAULT_NESTED:
        (void)*(volatile const uint32_t *)BOARD_UNMAPPED_ADDR;
        break;
    default:
        break;
    }
}

/* Thread. Writes a line of text to the UART through the port, blocking,
 * followed by "\r\n" and one 0x00. The 0x00 is the protocol's frame delimiter:
 * a host frame parser drops the text as one bad frame and starts clean on the
 * next real one. Without it, text printed at boot would fuse with the next
 * response frame. */
static void print_line(const char *s)
{
    static const uint8_t eol[] = {'\r', '\n', 0x00};
    size_t n = 0;

    while (s[n] != '\0') {
        n++;
    }
    cd_port_tx((const uint8_t *)s, n);
    cd_port_tx(eol, sizeof(eol));
}

static void print_banner(void)
{
    char line[128];
    char *end = put_u32(put_str(line, "crashdump-demo boot "), demo.boot_count);
    cd_crash_record_t rec;

    if (cd_last_crash(&rec) == CD_OK) {
        end = put_u32(put_str(end, " (last crash: reason "), rec.reason);
        end = put_hex(put_str(end, " code "), rec.code);
        end = put_hex(put_str(end, " pc "), rec.pc);
        end = put_str(end, ")");
    }
    *end = '\0';
    print_line(line);
}

int main(void)
{
    static const cd_config_t cfg = {
        .component_name = "crashdump-demo",
        /* 4beef53e-2548-4120-a35b-e601410facd3 */
        .self_guid = {{0x4b, 0xee, 0xf5, 0x3e, 0x25, 0x48, 0x41, 0x20,
                       0xa3, 0x5b, 0xe6, 0x01, 0x41, 0x0f, 0xac, 0xd3}},
        .self_label = "demo",
        .self_item_size = DEMO_SELF_ITEM_SIZE,
        .self_item_count = DEMO_SELF_ITEM_COUNT,
        .source_count = DEMO_SOURCE_COUNT,
        .source_max_bytes = DEMO_SOURCE_MAX_BYTES,
        /* 9d3a1c52-7e0b-4f61-8a2d-3c5be4f07a19 */
        .additional_guid = {{0x9d, 0x3a, 0x1c, 0x52, 0x7e, 0x0b, 0x4f, 0x61,
                             0x8a, 0x2d, 0x3c, 0x5b, 0xe4, 0xf0, 0x7a, 0x19}},
        .additional_query = blob_query,
        .additional_write = blob_write,
        .triage_count = DEMO_TRIAGE_COUNT,
        .triage_cb = triage_cb,
        .dump_slots = DEMO_DUMP_SLOTS,
        .stack_dump_bytes = STACK_DUMP_BYTES,
        .crash_loop_limit = CRASH_LOOP_LIMIT,
        .storage = storage,
        .storage_size = sizeof(storage),
    };
    char line[96];
    char *end;
    int healthy = 0;
    int rc;

    /* Interrupts stay masked until the library owns its storage. */
    cm_irq_disable();
    rc = cd_init(&cfg);
    board_start();

    if (rc != CD_OK) {
        end = put_str(put_str(line, "crashdump-demo: cd_init failed: "), cd_status_str(rc));
        *end = '\0';
        print_line(line);
        for (;;) {
            cm_wfi();
        }
    }

    demo.magic = DEMO_MAGIC;
    demo.boot_count = cd_boot_count();
    (void)cd_triage_add(&demo, sizeof(demo));
    print_banner();

    (void)cm_systick_start(BOARD_CPU_HZ / TICK_HZ);
    cm_irq_enable();

    for (;;) {
        board_rx_hold();
        int handled = cd_proto_poll();
        board_rx_resume();
        if (handled) {
            demo.frames++;
            continue;
        }
        if (!healthy && demo.ticks >= HEALTHY_AFTER_TICKS) {
            /* Up long enough: whatever crashed before is not a crash loop. */
            cd_mark_healthy();
            healthy = 1;
        }
        /* Sleep only if no byte came in since the poll above; with PRIMASK set,
         * an interrupt still ends WFI and is taken right after cpsie. */
        cm_irq_disable();
        if (board_rx_event == 0u) {
            cm_wfi();
        }
        board_rx_event = 0u;
        cm_irq_enable();
    }
}
