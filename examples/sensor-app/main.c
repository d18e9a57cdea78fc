/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The sensor app: crashdump set up as the docs say (docs/integration.md),
 * then a main loop that serves the host's commands and steps the sensor
 * pipeline ten times a second.
 */
#include <stdint.h>

#include "app.h"
#include "crashdump/crashdump.h"

#define SELF_ITEM_SIZE 32u
#define SELF_ITEM_COUNT 64u
#define SOURCE_COUNT 2u
#define SOURCE_MAX_BYTES 2048u
#define TRIAGE_COUNT 4u

static uint8_t storage[CD_STORAGE_SIZE(SELF_ITEM_SIZE, SELF_ITEM_COUNT, SOURCE_COUNT,
                                       SOURCE_MAX_BYTES, TRIAGE_COUNT)] CD_NOINIT;

int main(void)
{
    static const cd_config_t cfg = {
        .component_name = "sensor-app",
        /* 6f1d2c3b-8a4e-4d5f-9b60-71c2d3e4f5a6 */
        .self_guid = {{0x6f, 0x1d, 0x2c, 0x3b, 0x8a, 0x4e, 0x4d, 0x5f,
                       0x9b, 0x60, 0x71, 0xc2, 0xd3, 0xe4, 0xf5, 0xa6}},
        .self_item_size = SELF_ITEM_SIZE,
        .self_item_count = SELF_ITEM_COUNT,
        .source_count = SOURCE_COUNT,
        .source_max_bytes = SOURCE_MAX_BYTES,
        .triage_count = TRIAGE_COUNT,
        .dump_slots = 3,
        .stack_dump_bytes = 1024,
        .storage = storage,
        .storage_size = sizeof storage,
    };

    /* No interrupt source is enabled before crashdump owns its storage. */
    if (cd_init(&cfg) != CD_OK) {
        for (;;) {
        }
    }
    uint32_t boot = cd_boot_count();
    (void)cd_triage_add(&sensor_state, sizeof sensor_state);
    (void)cd_self_write("boot", 4);
    port_start();

    uint32_t step = 0, next = 0;
    for (;;) {
        (void)cd_proto_poll();
        if ((int32_t)(app_ticks - next) >= 0) {
            next = app_ticks + APP_TICK_HZ / 10u;
            sensor_step(boot, step++);
            if (step == 50u) {
                cd_mark_healthy(); /* five seconds up: not a crash loop */
            }
        }
        __asm volatile("wfi");
    }
}
