/*
 * crashdump demo for QEMU mps2-an385: the library configured with a self ring
 * that SysTick writes to every 100 ms, four host data sources, and one triage
 * range over the demo's state; the main loop serves the serial protocol.
 */
#include <stddef.h>
#include <stdint.h>

#include "board.h"
#include "cm_regs.h"
#include "crashdump/crashdump.h"

#define SELF_ITEM_SIZE 64u
#define SELF_ITEM_COUNT 128u
#define SOURCE_COUNT 4u
#define SOURCE_MAX_BYTES (72u * 1024u) /* room for a 64 KiB ring plus slot headers */
#define TRIAGE_COUNT 8u
#define TICK_HZ 10u                    /* one self-ring record per tick */

static uint8_t storage[CD_STORAGE_SIZE(SELF_ITEM_SIZE, SELF_ITEM_COUNT, SOURCE_COUNT,
                                       SOURCE_MAX_BYTES, TRIAGE_COUNT)] CD_NOINIT;

/* What a crash dump of this demo shows through its triage range. */
static struct {
    uint32_t magic;      /* "DEMO", to spot the struct in a dump */
    uint32_t boot_count;
    uint32_t ticks;      /* SysTick periods since boot */
    uint32_t frames;     /* protocol frames handled since boot */
} demo;

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

static char *put_str(char *p, const char *s)
{
    while (*s != '\0') {
        *p++ = *s++;
    }
    return p;
}

void SysTick_Handler(void)
{
    char rec[sizeof("tick 4294967295")];
    char *end;

    demo.ticks++;
    end = put_u32(put_str(rec, "tick "), demo.ticks);
    (void)cd_self_write(rec, (size_t)(end - rec));
}

int main(void)
{
    static const cd_config_t cfg = {
        .component_name = "crashdump-demo",
        /* 4beef53e-2548-4120-a35b-e601410facd3 */
        .self_guid = {{0x4b, 0xee, 0xf5, 0x3e, 0x25, 0x48, 0x41, 0x20,
                       0xa3, 0x5b, 0xe6, 0x01, 0x41, 0x0f, 0xac, 0xd3}},
        .self_label = "demo",
        .self_item_size = SELF_ITEM_SIZE,
        .self_item_count = SELF_ITEM_COUNT,
        .source_count = SOURCE_COUNT,
        .source_max_bytes = SOURCE_MAX_BYTES,
        .triage_count = TRIAGE_COUNT,
        .storage = storage,
        .storage_size = sizeof(storage),
    };
    char line[96];
    char *end;
    int rc;

    /* Interrupts stay masked until the library owns its storage. */
    cm_irq_disable();
    rc = cd_init(&cfg);
    board_uart_start();

    if (rc != CD_OK) {
        end = put_str(put_str(line, "crashdump-demo: cd_init failed: "), cd_status_str(rc));
        *end = '\0';
        board_print_line(line);
        for (;;) {
            cm_wfi();
        }
    }

    demo.magic = 0x4F4D4544u; /* "DEMO" */
    demo.boot_count = cd_boot_count();
    (void)cd_triage_add(&demo, sizeof(demo));

    end = put_u32(put_str(line, "crashdump-demo boot "), demo.boot_count);
    *end = '\0';
    board_print_line(line);

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
