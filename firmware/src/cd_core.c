/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Core: configuration, the persistent storage block, the self ring, data
 * sources and the triage table.
 *
 * Storage layout inside cfg->storage (every part starts 4-aligned; total is
 * exactly CD_STORAGE_SIZE()):
 *
 *   offset 0      store header, CD_STORE_HDR_SIZE (32) bytes
 *   triage_off    triage table: triage_count cd_triage_range_t
 *   self_off      self ring: cd_ring_hdr_t + self_item_count slots
 *   src_off       source_count source slots of
 *                 sizeof(cd_ring_hdr_t) + source_max_bytes bytes each;
 *                 a slot whose ring magic is 0 is free
 *
 * The triage table sits right after the 8-aligned store header because its
 * entries hold a uintptr_t and a size_t (8-aligned on a 64-bit host); ring
 * headers need only 4. It is cleared at every boot: firmware re-registers its
 * ranges. Source slots stay 4-aligned because source_max_bytes must be a
 * multiple of 4.
 *
 * At boot, cd_init() adopts what survived a warm reset ring by ring: a bad
 * store header or a different layout (geometry CRC) re-initialises everything;
 * otherwise each ring is checked on its own (cd_ring_check) and only a bad one
 * is reformatted (self) or freed (source).
 */

#include "cd_arch.h"
#include "cd_crash.h"
#include "cd_internal.h"
#include "crashdump/cd_port.h"

#define CD_STORE_MAGIC 0x54534443u /* "CDST" */
#define CD_STORE_VERSION 1u
#define CD_STORE_HDR_CRC_LEN 28u

typedef struct {
    uint32_t magic;       /* CD_STORE_MAGIC */
    uint16_t version;     /* CD_STORE_VERSION */
    uint16_t hdr_size;    /* CD_STORE_HDR_SIZE */
    uint32_t layout_crc;  /* CRC-32 of the geometry words (layout_crc()) */
    uint32_t boot_count;  /* cd_init() calls since the storage was formatted */
    uint32_t reserved[3]; /* 0 */
    uint32_t hdr_crc;     /* CRC-32 of the 28 bytes above */
} cd_store_hdr_t;

_Static_assert(sizeof(cd_store_hdr_t) == CD_STORE_HDR_SIZE, "store header");
_Static_assert(offsetof(cd_store_hdr_t, hdr_crc) == CD_STORE_HDR_CRC_LEN, "store crc");
_Static_assert(CD_STORE_HDR_SIZE % 8u == 0 && sizeof(cd_ring_hdr_t) % 4u == 0, "alignment");

#define CD_DEFAULT_SELF_LABEL "self"

/* Byte offsets and sizes of the storage parts (see the top of this file). */
typedef struct {
    size_t triage_off;
    size_t self_off;
    size_t self_slot_bytes; /* self_item_count * stride */
    size_t src_off;
    size_t src_stride;      /* sizeof(cd_ring_hdr_t) + source_max_bytes */
    size_t total;
} cd_layout_t;

/* Fault-critical (the crash path reads the configuration, the storage and the
 * triage table from here): bracketed by guard words, set by cd_init(), that a
 * stack or buffer overrun reaching into it from either side overwrites first
 * (cd_core_intact()). */
static struct {
    uint32_t guard_lo;
    int ready;
    cd_config_t cfg;                    /* copy; strings point to the copies below */
    char name[CD_NAME_LEN];
    char self_label[CD_LABEL_LEN + 1u];
    cd_layout_t lo;
    uint8_t *base;
    cd_ring_t *self;                    /* NULL until ready: cd_self_write's check */
    uint32_t boot_count;
    uint32_t triage_used;
    uint32_t guard_hi;
} g_cd;

/* ------------------------------------------------------------ helpers */

static int guid_is_zero(const cd_guid_t *g)
{
    static const cd_guid_t zero;
    return cd_equal(g, &zero, sizeof zero);
}

/* *acc += v; 0 on size_t overflow. */
static int sz_add(size_t *acc, size_t v)
{
    if (v > SIZE_MAX - *acc) {
        return 0;
    }
    *acc += v;
    return 1;
}

/* *out = a * b; 0 on size_t overflow. */
static int sz_mul(size_t a, size_t b, size_t *out)
{
    if (a != 0 && b > SIZE_MAX / a) {
        return 0;
    }
    *out = a * b;
    return 1;
}

/* strlen that looks at no more than max bytes; returns max if no NUL. */
static size_t str_len_max(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != '\0') {
        n++;
    }
    return n;
}

/* The same sum as CD_STORAGE_SIZE(), term by term, overflow-checked. The self
 * ring's slot bytes must also fit 32 bits: the ring code indexes slots with
 * 32-bit arithmetic (a source ring is bounded by the u32 source_max_bytes). */
static int layout_compute(const cd_config_t *cfg, cd_layout_t *lo)
{
    size_t acc = CD_STORE_HDR_SIZE;
    size_t v;

    lo->triage_off = acc;
    if (!sz_mul(cfg->triage_count, sizeof(cd_triage_range_t), &v) || !sz_add(&acc, v)) {
        return 0;
    }
    lo->self_off = acc;
    if (!sz_mul(cfg->self_item_count, CD_RING_STRIDE(cfg->self_item_size), &lo->self_slot_bytes) ||
        lo->self_slot_bytes > UINT32_MAX || !sz_add(&acc, sizeof(cd_ring_hdr_t)) ||
        !sz_add(&acc, lo->self_slot_bytes)) {
        return 0;
    }
    lo->src_off = acc;
    lo->src_stride = sizeof(cd_ring_hdr_t);
    if (!sz_add(&lo->src_stride, cfg->source_max_bytes) ||
        !sz_mul(cfg->source_count, lo->src_stride, &v) || !sz_add(&acc, v)) {
        return 0;
    }
    lo->total = acc;
    return 1;
}

/* CRC of the geometry that fixes where everything lies in storage. */
static uint32_t layout_crc(const cd_config_t *cfg)
{
    const uint32_t words[] = {
        CD_STORE_VERSION,     (uint32_t)sizeof(cd_triage_range_t),
        cfg->self_item_size,  cfg->self_item_count,
        cfg->source_count,    cfg->source_max_bytes,
        cfg->triage_count,
    };
    return cd_crc32(0, words, sizeof words);
}

/* Validates everything without writing anything; fills *lo on success. */
static int config_check(const cd_config_t *cfg, cd_layout_t *lo)
{
    if (cfg == NULL || cfg->component_name == NULL) {
        return CD_E_CONFIG;
    }
    size_t name_len = str_len_max(cfg->component_name, CD_NAME_LEN);
    if (name_len == 0 || name_len >= CD_NAME_LEN) {
        return CD_E_CONFIG;
    }
    if (guid_is_zero(&cfg->self_guid) || cfg->self_item_size == 0 ||
        cfg->self_item_size > CD_ITEM_MAX || cfg->self_item_count == 0) {
        return CD_E_CONFIG;
    }
    if (cfg->source_count > 65535u || cfg->triage_count > 65535u ||
        (cfg->source_count != 0 && cfg->source_max_bytes % 4u != 0)) {
        return CD_E_CONFIG;
    }
    if ((cfg->additional_query == NULL) != (cfg->additional_write == NULL) ||
        (cfg->additional_query != NULL && guid_is_zero(&cfg->additional_guid))) {
        return CD_E_CONFIG;
    }
    if (cfg->storage == NULL || ((uintptr_t)cfg->storage & 7u) != 0) {
        return CD_E_CONFIG;
    }
    int rc = cd_dump_config_check(cfg);
    if (rc != CD_OK) {
        return rc;
    }
    if (!layout_compute(cfg, lo)) {
        return CD_E_CONFIG; /* no storage could ever be large enough */
    }
    if (cfg->storage_size < lo->total) {
        return CD_E_NOSPACE;
    }
    return CD_OK;
}

static cd_ring_t *src_ring(uint32_t i)
{
    return (cd_ring_t *)(void *)(g_cd.base + g_cd.lo.src_off + (size_t)i * g_cd.lo.src_stride);
}

static int src_in_use(const cd_ring_t *r)
{
    return r->hdr.magic == CD_RING_MAGIC;
}

static cd_triage_range_t *triage_table(void)
{
    return (cd_triage_range_t *)(void *)(g_cd.base + g_cd.lo.triage_off);
}

/* ------------------------------------------------------------ init */

int cd_init(const cd_config_t *cfg)
{
    cd_layout_t lo;
    int rc = config_check(cfg, &lo);
    if (rc != CD_OK) {
        return rc; /* nothing written, previous state (if any) kept */
    }

    g_cd.ready = 0;
    g_cd.self = NULL;

    uint8_t *base = cfg->storage;
    cd_store_hdr_t *sh = (cd_store_hdr_t *)(void *)base;
    uint32_t lcrc = layout_crc(cfg);
    int fresh = sh->magic != CD_STORE_MAGIC || sh->version != CD_STORE_VERSION ||
                sh->hdr_size != CD_STORE_HDR_SIZE ||
                cd_crc32(0, sh, CD_STORE_HDR_CRC_LEN) != sh->hdr_crc || sh->layout_crc != lcrc;
    uint32_t boots = 0;
    if (fresh) {
        cd_zero(base, lo.total); /* every source slot free */
    } else {
        boots = sh->boot_count;
    }

    const char *label = cfg->self_label != NULL ? cfg->self_label : CD_DEFAULT_SELF_LABEL;
    cd_ring_t *self = (cd_ring_t *)(void *)(base + lo.self_off);
    cd_ring_hdr_t want;
    cd_ring_hdr_make(&want, &cfg->self_guid, label, cfg->self_item_size, cfg->self_item_count);
    /* The self ring is kept only if it is exactly the ring this configuration
     * would create (guid, label, geometry), and intact. */
    if (fresh || !cd_equal(&self->hdr, &want, offsetof(cd_ring_hdr_t, head)) ||
        cd_ring_check(self, lo.self_slot_bytes) != CD_OK) {
        cd_ring_init(self, &cfg->self_guid, label, cfg->self_item_size, cfg->self_item_count);
    }

    for (uint32_t i = 0; !fresh && i < cfg->source_count; i++) {
        cd_ring_t *r = (cd_ring_t *)(void *)(base + lo.src_off + (size_t)i * lo.src_stride);
        if (r->hdr.magic != 0 && cd_ring_check(r, cfg->source_max_bytes) != CD_OK) {
            cd_zero(&r->hdr, sizeof r->hdr);
        }
    }

    cd_zero(base + lo.triage_off, lo.self_off - lo.triage_off);

    cd_zero(sh, sizeof *sh);
    sh->magic = CD_STORE_MAGIC;
    sh->version = CD_STORE_VERSION;
    sh->hdr_size = CD_STORE_HDR_SIZE;
    sh->layout_crc = lcrc;
    sh->boot_count = boots + 1u;
    sh->hdr_crc = cd_crc32(0, sh, CD_STORE_HDR_CRC_LEN);

    cd_copy(&g_cd.cfg, cfg, sizeof g_cd.cfg); /* a struct assignment would call memcpy */
    cd_zero(g_cd.name, sizeof g_cd.name);
    cd_copy(g_cd.name, cfg->component_name, str_len_max(cfg->component_name, CD_NAME_LEN));
    g_cd.cfg.component_name = g_cd.name;
    cd_zero(g_cd.self_label, sizeof g_cd.self_label);
    cd_copy(g_cd.self_label, label, str_len_max(label, CD_LABEL_LEN));
    g_cd.cfg.self_label = g_cd.self_label;
    g_cd.lo = lo;
    g_cd.base = base;
    g_cd.boot_count = sh->boot_count;
    g_cd.triage_used = 0;
    g_cd.self = self;
    g_cd.guard_lo = CD_GUARD_LO;
    g_cd.guard_hi = CD_GUARD_HI;
    g_cd.ready = 1;
    cd_arch_fault_init();
    cd_dump_boot(&g_cd.cfg);
    return CD_OK;
}

uint32_t cd_boot_count(void)
{
    return g_cd.ready ? g_cd.boot_count : 0;
}

int cd_core_intact(void)
{
    if (g_cd.guard_lo == 0u && g_cd.guard_hi == 0u && !g_cd.ready) {
        return 1; /* before cd_init(): nothing to lose */
    }
    return g_cd.guard_lo == CD_GUARD_LO && g_cd.guard_hi == CD_GUARD_HI;
}

const cd_config_t *cd_core_config(void)
{
    return g_cd.ready ? &g_cd.cfg : NULL;
}

/* ------------------------------------------------------------ self ring */

int cd_self_write(const void *data, size_t len)
{
    cd_ring_t *r = g_cd.self;
    if (r == NULL) {
        return CD_E_STATE;
    }
    return cd_ring_write(r, data, len, NULL);
}

cd_ring_t *cd_self_ring(void)
{
    return g_cd.self;
}

/* ------------------------------------------------------------ data sources */

cd_ring_t *cd_source_find(const cd_guid_t *guid)
{
    if (!g_cd.ready || guid == NULL || guid_is_zero(guid)) {
        return NULL;
    }
    for (uint32_t i = 0; i < g_cd.cfg.source_count; i++) {
        cd_ring_t *r = src_ring(i);
        if (src_in_use(r) && cd_equal(&r->hdr.guid, guid, sizeof *guid)) {
            return r;
        }
    }
    return NULL;
}

int cd_source_create(const cd_guid_t *guid, const char *label, uint16_t item_size, uint32_t count,
                     cd_ring_t **out, int *reattached)
{
    if (out != NULL) {
        *out = NULL;
    }
    if (reattached != NULL) {
        *reattached = 0;
    }
    if (!g_cd.ready) {
        return CD_E_STATE;
    }
    if (guid == NULL || guid_is_zero(guid)) {
        return CD_E_INVAL;
    }

    cd_ring_t *r = cd_source_find(guid);
    if (r != NULL) {
        if (r->hdr.item_size != item_size || r->hdr.count != count) {
            return CD_E_GEOMETRY;
        }
        if (reattached != NULL) {
            *reattached = 1;
        }
    } else {
        if (item_size == 0 || count == 0) {
            return CD_E_INVAL;
        }
        if (item_size > CD_ITEM_MAX) {
            return CD_E_ITEM_TOO_LARGE;
        }
        /* count * stride <= source_max_bytes, without the multiply. */
        if (count > cd_udiv(g_cd.cfg.source_max_bytes, CD_RING_STRIDE(item_size))) {
            return CD_E_RING_TOO_LARGE;
        }
        uint32_t i = 0;
        while (i < g_cd.cfg.source_count && src_in_use(src_ring(i))) {
            i++;
        }
        if (i == g_cd.cfg.source_count) {
            return CD_E_SOURCE_LIMIT;
        }
        r = src_ring(i);
        cd_ring_init(r, guid, label, item_size, count);
    }
    if (out != NULL) {
        *out = r;
    }
    return CD_OK;
}

int cd_source_destroy(const cd_guid_t *guid)
{
    if (!g_cd.ready) {
        return CD_E_STATE;
    }
    cd_ring_t *r = cd_source_find(guid);
    if (r == NULL) {
        return CD_E_UNKNOWN_SOURCE;
    }
    size_t slot_bytes = (size_t)r->hdr.count * r->hdr.stride;
    /* Zeroing the header under the lock frees the slot at once for finders;
     * a stale handle then fails every write (item_size 0). */
    uint32_t key = cd_arch_irq_lock();
    cd_zero(&r->hdr, sizeof r->hdr);
    cd_arch_irq_unlock(key);
    cd_zero(r + 1, slot_bytes);
    return CD_OK;
}

cd_ring_t *cd_source_at(uint32_t index, uint32_t *total)
{
    cd_ring_t *found = NULL;
    uint32_t n = 0;
    for (uint32_t i = 0; g_cd.ready && i < g_cd.cfg.source_count; i++) {
        cd_ring_t *r = src_ring(i);
        if (src_in_use(r)) {
            if (n == index) {
                found = r;
            }
            n++;
        }
    }
    if (total != NULL) {
        *total = n;
    }
    return found;
}

/* ------------------------------------------------------------ triage */

/* 1 if [a, a + len) lies inside one readable region of the board's map.
 * len >= 1 and the range does not wrap (checked by the caller). */
static int in_memory_map(uintptr_t a, size_t len)
{
    size_t n = 0;
    const cd_mem_region_t *map = cd_port_memory_map(&n);
    for (size_t i = 0; map != NULL && i < n; i++) {
        const cd_mem_region_t *m = &map[i];
        if ((m->flags & CD_MEM_READ) != 0 && len <= m->len && a >= m->start &&
            a - m->start <= m->len - len) {
            return 1;
        }
    }
    return 0;
}

int cd_triage_add(const void *addr, size_t len)
{
    if (!g_cd.ready) {
        return CD_E_STATE;
    }
    uintptr_t a = (uintptr_t)addr;
    if (len == 0 || len - 1u > UINTPTR_MAX - a) {
        return CD_E_INVAL;
    }
    /* At fault time the callback may follow a corrupt pointer: keep the range
     * anyway; the dump records it as unreadable (cd_mem_readable() decides). */
    if (!in_memory_map(a, len) && !cd_dump_crashing()) {
        return CD_E_TRIAGE_RANGE;
    }

    cd_triage_range_t *t = triage_table();
    int rc = CD_OK;
    uint32_t key = cd_arch_irq_lock();
    uint32_t i = 0;
    while (i < g_cd.triage_used && !(t[i].addr == a && t[i].len == len)) {
        i++;
    }
    if (i == g_cd.triage_used) {
        if (g_cd.triage_used == g_cd.cfg.triage_count) {
            rc = CD_E_TRIAGE_FULL;
        } else {
            t[i].addr = a;
            t[i].len = len;
            g_cd.triage_used++;
        }
    }
    cd_arch_irq_unlock(key);
    return rc;
}

int cd_triage_remove(const void *addr, size_t len)
{
    if (!g_cd.ready) {
        return CD_E_STATE;
    }
    cd_triage_range_t *t = triage_table();
    uintptr_t a = (uintptr_t)addr;
    int rc = CD_E_NOT_FOUND;
    uint32_t key = cd_arch_irq_lock();
    for (uint32_t i = 0; i < g_cd.triage_used; i++) {
        if (t[i].addr == a && t[i].len == len) {
            /* Keep the order of the others: the dump lists ranges as added. */
            cd_copy(&t[i], &t[i + 1u], (g_cd.triage_used - i - 1u) * sizeof *t);
            g_cd.triage_used--;
            cd_zero(&t[g_cd.triage_used], sizeof *t);
            rc = CD_OK;
            break;
        }
    }
    cd_arch_irq_unlock(key);
    return rc;
}

const cd_triage_range_t *cd_triage_at(uint32_t index, uint32_t *total)
{
    uint32_t used = g_cd.ready ? g_cd.triage_used : 0;
    if (total != NULL) {
        *total = used;
    }
    return index < used ? &triage_table()[index] : NULL;
}

/* ------------------------------------------------------------ info */

void cd_core_info(cd_wire_info_t *info)
{
    cd_zero(info, sizeof *info);
    info->proto_version = CD_PROTO_VERSION;
    info->frame_max = CD_FRAME_MAX;

    size_t id_len = 0;
    const uint8_t *id = cd_port_build_id(&id_len);
    if (id == NULL) {
        id_len = 0;
    }
    if (id_len > CD_BUILD_ID_MAX) {
        id_len = CD_BUILD_ID_MAX;
    }
    info->build_id_len = (uint8_t)id_len;
    info->lib_version[0] = CD_VERSION_MAJOR;
    info->lib_version[1] = CD_VERSION_MINOR;
    info->lib_version[2] = CD_VERSION_PATCH;
    if (id_len != 0) {
        cd_copy(info->build_id, id, id_len);
    }

    if (!g_cd.ready) {
        return; /* caps 0: nothing is usable yet */
    }
    info->caps = CD_CAP_SOURCES | CD_CAP_TRIAGE | CD_CAP_RESET | CD_CAP_DUMP;
#if defined(__ARM_FP)
    info->caps |= CD_CAP_FPU; /* the fault entry saves s0-s31 and FPSCR */
#endif
#if CD_ENABLE_FAULT_CMDS
    info->caps |= CD_CAP_FAULT_CMDS;
#endif
    uint32_t used = 0;
    (void)cd_source_at(0, &used);
    info->source_max = (uint16_t)g_cd.cfg.source_count;
    info->source_used = (uint16_t)used;
    info->ring_max_bytes = g_cd.cfg.source_max_bytes;
    info->item_max = CD_ITEM_MAX;
    info->triage_max = (uint16_t)g_cd.cfg.triage_count;
    info->triage_used = (uint16_t)g_cd.triage_used;
    info->self_item_size = g_cd.cfg.self_item_size;
    info->self_count = g_cd.cfg.self_item_count;
    info->self_guid = g_cd.cfg.self_guid;
    info->boot_count = g_cd.boot_count;
    cd_copy(info->name, g_cd.name, sizeof info->name);
}
