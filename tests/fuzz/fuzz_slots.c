/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: the boot-time slot scan and slot policy (cd_dump_boot(),
 * run by cd_init()) over arbitrary dump partition images in the fake flash,
 * then the dump API and one crash.
 *
 * Input: byte 0: slot count (2 + bits 0-2, at most CD_DUMP_SLOTS_MAX) and write
 * size (bits 3-4: 1, 2, 4, 8); byte 1: one bit per slot whose header the
 * harness re-seals (magic, version, hdr_len set, total_len clamped into the
 * slot, body and header CRCs recomputed), so VALID dumps with arbitrary
 * contents and crash counts are reached; byte 2: bit 0 keeps the crash record
 * in .noinit (a warm reset) with the crash count from bytes 3-6, else RAM is
 * lost. Then the partition image (slots of 1 KiB), missing bytes erased (0xFF).
 *
 * Oracles: an independent model classifies every slot (EMPTY: all 0xFF; VALID:
 * the documented rule; else INVALID) and picks the policy victim with
 * serial-number order; after cd_init():
 *  - slot states reported equal the model's;
 *  - INVALID slots and the victim (and only they) are erased, everything else
 *    in the partition is byte for byte unchanged, erase calls as expected;
 *  - DUMP_READ of each VALID slot returns exactly its bytes, nothing past
 *    total_len; an EMPTY slot gives NO_DUMP;
 *  - a crash then writes a valid dump into the slot the policy names (lowest
 *    EMPTY, else with 2 slots the newest), erasing nothing else, with the next
 *    crash count, and a VALID dump other than that slot is never touched.
 *
 * Links with: firmware/src/{cd_core,cd_crc,cd_dump,cd_frame,cd_proto,cd_ring,
 * cd_status}.c and tests/unit/fake_port.c; include paths firmware/include,
 * firmware/src, tests/unit, tests/unit/host_arch.
 */
#include <setjmp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cd_crash.h"
#include "cd_internal.h"
#include "crashdump/crashdump.h"
#include "fake_port.h"

#define SLOT 1024u
#define HDR 128u
#define STORE_SIZE CD_STORAGE_SIZE(8, 2, 0, 0, 1)

static uint64_t store[(STORE_SIZE + 7u) / 8u];
static uint8_t image[CD_DUMP_SLOTS_MAX * SLOT];
static const cd_guid_t self_guid = {{0x5e, 0x1f, 0x51, 0x07, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}};

enum { EMPTY = CD_SLOT_EMPTY, VALID = CD_SLOT_VALID, INVALID = CD_SLOT_INVALID };

#define FAIL(...)                                                   \
    do {                                                            \
        fprintf(stderr, "fuzz_slots: " __VA_ARGS__);                \
        fprintf(stderr, "\n");                                      \
        abort();                                                    \
    } while (0)

static cd_config_t cfg(uint32_t slots)
{
    cd_config_t c;
    memset(&c, 0, sizeof c);
    c.component_name = "fuzz-slots";
    c.self_guid = self_guid;
    c.self_item_size = 8;
    c.self_item_count = 2;
    c.triage_count = 1;
    c.dump_slots = slots;
    c.stack_dump_bytes = 64;
    c.storage = store;
    c.storage_size = STORE_SIZE;
    return c;
}

static uint32_t rd32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The documented validity rule (docs/dump-format.md), written again. */
static int model_state(const uint8_t *s, uint32_t *cc, uint32_t *len)
{
    cd_dump_hdr_t h;
    memcpy(&h, s, sizeof h);
    if (h.magic == CD_DUMP_MAGIC && h.version == CD_DUMP_VERSION && h.hdr_len == HDR &&
        cd_crc32(0, s, CD_DUMP_HDR_CRC_LEN) == h.hdr_crc && h.total_len >= HDR &&
        h.total_len <= SLOT && cd_crc32(0, s + HDR, h.total_len - HDR) == h.body_crc) {
        *cc = h.crash_count;
        *len = h.total_len;
        return VALID;
    }
    for (uint32_t i = 0; i < SLOT; i++) {
        if (s[i] != 0xFF) {
            return INVALID;
        }
    }
    return EMPTY;
}

static int before(uint32_t a, uint32_t b)
{
    return (int32_t)(a - b) < 0;
}

static void seal(uint8_t *s, uint32_t seed)
{
    cd_dump_hdr_t h;
    memcpy(&h, s, sizeof h);
    h.magic = CD_DUMP_MAGIC;
    h.version = CD_DUMP_VERSION;
    h.hdr_len = HDR;
    h.total_len = HDR + ((h.total_len ^ seed) % (SLOT - HDR + 1u));
    h.body_crc = cd_crc32(0, s + HDR, h.total_len - HDR);
    h.hdr_crc = cd_crc32(0, &h, CD_DUMP_HDR_CRC_LEN);
    memcpy(s, &h, sizeof h);
}

static cd_crash_ctx_t ctx;

static int crash(void)
{
    static volatile int how;
    how = 0;
    fake_reset_armed = 1;
    if (setjmp(fake_reset_jmp) != 0) {
        how = 1;
    } else {
        cd_crash_handle(&ctx);
    }
    fake_reset_armed = 0;
    return how;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 7) {
        return 0;
    }
    uint32_t slots = 2u + (data[0] & 7u);
    if (slots > CD_DUMP_SLOTS_MAX) {
        slots = CD_DUMP_SLOTS_MAX;
    }
    uint32_t ws = 1u << ((data[0] >> 3) & 3u);
    uint8_t seal_mask = data[1];
    int keep_ram = data[2] & 1;
    uint32_t rec_cc = rd32(data + 3);
    data += 7;
    size -= 7;

    uint32_t part = slots * SLOT;
    fake_flash_setup(part, SLOT, ws);
    memset(image, 0xFF, sizeof image);
    memcpy(image, data, size < part ? size : part);
    for (uint32_t i = 0; i < slots; i++) {
        if (seal_mask & (1u << i)) {
            seal(image + i * SLOT, i);
        }
    }
    memcpy(fake_flash, image, part);

    size_t area_len;
    uint8_t *area = cd_dump_noinit_area(&area_len);
    memset(area, 0, area_len);
    if (keep_ram) {
        cd_crash_record_t *rec = (cd_crash_record_t *)(void *)area;
        rec->magic = CD_CRASH_MAGIC;
        rec->crash_count = rec_cc;
        rec->slot = 0xFFFFFFFFu;
        rec->crc = cd_crc32(0, rec, offsetof(cd_crash_record_t, crc));
    }

    /* The model. */
    int st[CD_DUMP_SLOTS_MAX];
    uint32_t cc[CD_DUMP_SLOTS_MAX] = {0}, len[CD_DUMP_SLOTS_MAX] = {0};
    int erased[CD_DUMP_SLOTS_MAX] = {0};
    int n_valid = 0, any_empty = 0;
    uint32_t newest_cc = 0;
    for (uint32_t i = 0; i < slots; i++) {
        st[i] = model_state(image + i * SLOT, &cc[i], &len[i]);
        if (st[i] == VALID) {
            if (n_valid == 0 || before(newest_cc, cc[i])) {
                newest_cc = cc[i];
            }
            n_valid++;
        }
        if (st[i] == INVALID) {
            erased[i] = 1;
        }
        any_empty |= st[i] != VALID;
    }
    int victim = -1;
    if (!any_empty && slots >= 3) {
        int oldest = -1, newest = -1;
        for (uint32_t i = 0; i < slots; i++) {
            if (oldest < 0 || before(cc[i], cc[oldest])) {
                oldest = (int)i;
            }
            if (newest < 0 || !before(cc[i], cc[newest])) {
                newest = (int)i;
            }
        }
        if (oldest == newest) {
            victim = newest;
        } else {
            for (uint32_t i = 0; i < slots; i++) {
                if ((int)i != oldest && (int)i != newest &&
                    (victim < 0 || before(cc[i], cc[victim]))) {
                    victim = (int)i;
                }
            }
        }
        erased[victim] = 1;
    }

    cd_config_t c = cfg(slots);
    fake_flash_reset_ops();
    if (cd_init(&c) != CD_OK) {
        FAIL("cd_init rejected a valid configuration");
    }
    uint32_t want_erases = 0;
    for (uint32_t i = 0; i < slots; i++) {
        const uint8_t *now = fake_flash + i * SLOT;
        int want_state = erased[i] ? EMPTY : st[i];
        cd_wire_slot_t info;
        if (cd_dump_slot_info(i, &info) != CD_OK || info.state != want_state) {
            FAIL("slot %u: state %u, model %d", i, info.state, want_state);
        }
        if (erased[i]) {
            want_erases++;
            for (uint32_t k = 0; k < SLOT; k++) {
                if (now[k] != 0xFF) {
                    FAIL("slot %u should be erased", i);
                }
            }
        } else if (memcmp(now, image + i * SLOT, SLOT) != 0) {
            FAIL("slot %u changed (state %d) but is not the policy victim", i, st[i]);
        }
        if (want_state == VALID) {
            if (info.total_len != len[i] || info.crash_count != cc[i]) {
                FAIL("slot %u: info disagrees with the header", i);
            }
            static uint8_t got[SLOT];
            uint32_t off = 0;
            for (;;) {
                int r = cd_dump_read(i, off, got + off, 100);
                if (r < 0) {
                    FAIL("slot %u: read error %d", i, r);
                }
                if (r == 0) {
                    break;
                }
                off += (uint32_t)r;
                if (off > len[i]) {
                    FAIL("slot %u: read past total_len", i);
                }
            }
            if (off != len[i] || memcmp(got, image + i * SLOT, off) != 0) {
                FAIL("slot %u: dump read not exact", i);
            }
            if (cd_dump_read(i, len[i] + 1u, got, 4) != CD_E_INVAL) {
                FAIL("slot %u: read past the end accepted", i);
            }
        } else if (want_state == EMPTY && cd_dump_read(i, 0, image, 4) != CD_E_NO_DUMP) {
            FAIL("slot %u: EMPTY slot readable", i);
        }
    }
    if (fake_flash_erases != want_erases * 1u) {
        FAIL("%u erase calls, expected %u", fake_flash_erases, want_erases);
    }

    /* One crash: into the lowest EMPTY slot, else (2 slots, both VALID) over
     * the newer dump; nothing else touched. */
    int target = -1;
    for (uint32_t i = 0; i < slots && target < 0; i++) {
        if (erased[i] || st[i] == EMPTY) {
            target = (int)i;
        }
    }
    int dropped_dump = 0;
    if (target < 0) {
        target = before(cc[1], cc[0]) ? 0 : 1;
        dropped_dump = 1;
    }
    static uint8_t after_boot[CD_DUMP_SLOTS_MAX * SLOT];
    memcpy(after_boot, fake_flash, part);
    cd_wire_dump_status_t ds;
    (void)cd_dump_status(&ds);
    uint32_t dropped0 = ds.dropped;
    uint32_t expect_cc;
    if (keep_ram) {
        expect_cc = (n_valid != 0 && before(rec_cc, newest_cc)) ? newest_cc : rec_cc;
    } else {
        expect_cc = n_valid != 0 ? newest_cc : 0;
    }
    expect_cc += 1u;
    memset(&ctx, 0, sizeof ctx);
    ctx.reason = CD_REASON_FAULT;
    ctx.code = 3;
    ctx.flags = CD_DUMP_F_BAD_SP;
    if (crash() != 1) {
        FAIL("crash did not reset");
    }
    for (uint32_t i = 0; i < slots; i++) {
        if ((int)i != target && memcmp(fake_flash + i * SLOT, after_boot + i * SLOT, SLOT) != 0) {
            FAIL("crash touched slot %u, expected only %d", i, target);
        }
    }
    uint32_t got_cc = 0, got_len = 0;
    if (model_state(fake_flash + (uint32_t)target * SLOT, &got_cc, &got_len) != VALID ||
        got_cc != expect_cc) {
        FAIL("crash dump in slot %d invalid or crash count %u, expected %u", target, got_cc,
             expect_cc);
    }
    (void)cd_dump_status(&ds);
    if (ds.dropped != dropped0 + (uint32_t)dropped_dump) {
        FAIL("dropped %u, expected %u", ds.dropped, dropped0 + (uint32_t)dropped_dump);
    }
    return 0;
}
