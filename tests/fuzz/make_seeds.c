/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpora of fuzz_init and fuzz_slots from real library state:
 * storage blocks after rings were created, written, overrun and partly read
 * (plus the crash area after a crash), and dump partitions after real crash
 * loops. Usage: make_seeds OUTDIR (creates OUTDIR/init and OUTDIR/slots files;
 * the directories must exist). Built by tests/fuzz/CMakeLists.txt beside the
 * targets (build/fuzz/make_seeds after scripts/fuzz.sh).
 *
 * The configurations here are the harnesses' own (keep them in step).
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_crash.h"
#include "cd_internal.h"
#include "crashdump/crashdump.h"
#include "fake_port.h"

static const char *outdir;

static void put(const char *sub, const char *name, const uint8_t *a, size_t alen,
                const uint8_t *b, size_t blen, const uint8_t *c, size_t clen)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s/%s", outdir, sub, name);
    FILE *f = fopen(path, "wb");
    if (f == NULL || fwrite(a, 1, alen, f) != alen || (blen && fwrite(b, 1, blen, f) != blen) ||
        (clen && fwrite(c, 1, clen, f) != clen) || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* ---- fuzz_init's configuration */
#define I_SELF_ITEM 12u
#define I_SELF_COUNT 6u
#define I_SRC_COUNT 3u
#define I_SRC_MAX 160u
#define I_TRIAGE 2u
#define I_STORE CD_STORAGE_SIZE(I_SELF_ITEM, I_SELF_COUNT, I_SRC_COUNT, I_SRC_MAX, I_TRIAGE)
static uint64_t i_store[(I_STORE + 7u) / 8u];
static const cd_guid_t i_self = {{0x5e, 0x1f, 0xf0, 0x22, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};

static cd_crash_ctx_t ctx;

static void crash(void)
{
    fake_reset_armed = 1;
    if (setjmp(fake_reset_jmp) == 0) {
        cd_crash_handle(&ctx);
    }
    fake_reset_armed = 0;
}

static void init_seeds(void)
{
    cd_config_t c;
    memset(&c, 0, sizeof c);
    c.component_name = "fuzz-init";
    c.self_guid = i_self;
    c.self_item_size = I_SELF_ITEM;
    c.self_item_count = I_SELF_COUNT;
    c.source_count = I_SRC_COUNT;
    c.source_max_bytes = I_SRC_MAX;
    c.triage_count = I_TRIAGE;
    c.storage = i_store;
    c.storage_size = I_STORE;
    fake_flash_setup(4096, 1024, 4);
    memset(i_store, 0, sizeof i_store);
    size_t area_len;
    uint8_t *area = cd_dump_noinit_area(&area_len);
    memset(area, 0, area_len);

    static const uint8_t flag_sets[] = {0x0, 0x1, 0x3, 0x7, 0xF};
    char name[64];
    int k = 0;
    for (int step = 0; step < 5; step++) {
        if (cd_init(&c) != CD_OK) {
            fprintf(stderr, "init failed\n");
            exit(1);
        }
        uint8_t item[CD_ITEM_MAX];
        for (int i = 0; i < 3 + step * 4; i++) {
            memset(item, 'a' + i, sizeof item);
            cd_self_write(item, 1u + (size_t)i % I_SELF_ITEM);
        }
        cd_guid_t g = i_self;
        g.b[0] = (uint8_t)(0x10 + step);
        cd_ring_t *r = NULL;
        if (step < 3 && cd_source_create(&g, "src", (uint16_t)(4 + step * 8), 5, &r, NULL) == CD_OK) {
            for (int i = 0; i < 7; i++) {
                memset(item, i, sizeof item);
                cd_ring_write(r, item, 4, NULL);
            }
            cd_ring_read(r, item, sizeof item, NULL, NULL);
        }
        if (step == 4) {
            memset(&ctx, 0, sizeof ctx);
            ctx.reason = CD_REASON_FAULT;
            ctx.flags = CD_DUMP_F_BAD_SP;
            crash();
        }
        for (size_t f = 0; f < sizeof flag_sets; f++) {
            snprintf(name, sizeof name, "seed-%02d", k++);
            put("init", name, &flag_sets[f], 1, (const uint8_t *)i_store, I_STORE, area, area_len);
        }
    }
}

/* ---- fuzz_slots' configuration */
#define S_SLOT 1024u
#define S_STORE CD_STORAGE_SIZE(8, 2, 0, 0, 1)
static uint64_t s_store[(S_STORE + 7u) / 8u];
static const cd_guid_t s_self = {{0x5e, 0x1f, 0x51, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};

static void slots_seeds(void)
{
    char name[64];
    int k = 0;
    for (uint32_t slots = 2; slots <= 4; slots++) {
        for (uint32_t wsbits = 0; wsbits < 4; wsbits += 2) {
            cd_config_t c;
            memset(&c, 0, sizeof c);
            c.component_name = "fuzz-slots";
            c.self_guid = s_self;
            c.self_item_size = 8;
            c.self_item_count = 2;
            c.triage_count = 1;
            c.dump_slots = slots;
            c.stack_dump_bytes = 64;
            c.storage = s_store;
            c.storage_size = S_STORE;
            fake_flash_setup(slots * S_SLOT, S_SLOT, 1u << wsbits);
            memset(s_store, 0, sizeof s_store);
            for (uint32_t n = 1; n <= slots + 1u; n++) {
                if (cd_init(&c) != CD_OK) {
                    fprintf(stderr, "init failed\n");
                    exit(1);
                }
                memset(&ctx, 0, sizeof ctx);
                ctx.reason = CD_REASON_FAULT;
                ctx.code = n;
                ctx.flags = CD_DUMP_F_BAD_SP;
                crash();
                uint8_t head[7] = {(uint8_t)((slots - 2u) | (wsbits << 3)), 0, (uint8_t)(n & 1u)};
                uint32_t cc = n * 0x40000000u; /* record counts across the wrap */
                memcpy(head + 3, &cc, 4);
                snprintf(name, sizeof name, "seed-%02d", k++);
                put("slots", name, head, sizeof head, fake_flash, slots * S_SLOT, NULL, 0);
            }
        }
    }
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: make_seeds OUTDIR\n");
        return 2;
    }
    outdir = argv[1];
    init_seeds();
    slots_seeds();
    return 0;
}
