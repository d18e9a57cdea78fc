/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Rings: fixed-slot circular buffers kept in .noinit storage.
 *
 * Layout (cd_format.h): cd_ring_hdr_t, then `count` slots of `stride` bytes,
 * each slot a u16 length, a u16 reserved (0) and the item bytes. The same bytes
 * are what a crash dump copies, so there is no other representation.
 *
 * Cursors, all sequence numbers modulo 2^32:
 *   head  sequence number of the next write
 *   idx   slot of the next write (wrapped with a compare, never a division)
 *   tail  oldest unread sequence number. Writes never touch it: when the ring
 *         is full a write simply overwrites the oldest slot, so tail may lag
 *         behind head - count. The oldest item held is therefore
 *         tail if head - tail <= count, else head - count, and the difference
 *         (the "lag") is the number of items overwritten before anyone read
 *         them. A read folds the lag into `lost` and moves tail past the item.
 *
 * Locking: every access to the cursors and every item copy happens with
 * interrupts masked (cd_arch_irq_lock), so a reader never sees a torn item and
 * the cursors never disagree. The locked region is bounded by one item copy
 * (CD_ITEM_MAX bytes).
 *
 * cd_ring_write() is the hot path (it is the firmware's logging call): no
 * division, no memcpy call, no loop over the header. Its instruction count is
 * measured by tests/bench/ring_insns.py.
 */

#include "cd_arch.h"
#include "cd_internal.h"

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "crashdump's ring format is little-endian; the slot length is stored as one word"
#endif

/* Word types for the item copy. may_alias: the caller's data may be of any
 * type, and the storage block is usually declared as a byte array. */
typedef uint32_t cd_w32_t __attribute__((may_alias));
typedef struct {
    uint32_t w[4];
} __attribute__((may_alias)) cd_w128_t;

static inline uint8_t *ring_slots(const cd_ring_t *r)
{
    return (uint8_t *)(uintptr_t)(r + 1);
}

/* Length field of a slot; the reserved half must be 0. */
static inline uint32_t slot_word(const uint8_t *slot)
{
    return *(const cd_w32_t *)(const void *)slot;
}

/* Oldest sequence number held; *lag gets the items overwritten since tail. */
static inline uint32_t ring_oldest(const cd_ring_hdr_t *h, uint32_t *lag)
{
    uint32_t held = h->head - h->tail;
    if (held > h->count) {
        *lag = held - h->count;
        return h->head - h->count;
    }
    *lag = 0;
    return h->tail;
}

/* Slot of a held sequence number s (head - count <= s < head). */
static inline const uint8_t *ring_slot_of(const cd_ring_t *r, uint32_t s)
{
    const cd_ring_hdr_t *h = &r->hdr;
    uint32_t back = h->head - s; /* 1..count */
    uint32_t i = h->idx >= back ? h->idx - back : h->idx + (h->count - back);
    return ring_slots(r) + (size_t)i * h->stride;
}

/*
 * cd_ring_write() exists twice: the portable C below, and for M-profile Thumb
 * builds with a GNU-compatible compiler a hand-scheduled copy of the same
 * steps in assembly. GCC 12 cannot get the C under ~54 instructions for a
 * 32-byte item on Cortex-M4 (it never uses LDM/STM with writeback in a loop,
 * and spills around the copy); the assembly takes 39. Both do exactly this:
 *   r, data NULL or len 0 -> CD_E_INVAL; len > item_size -> CD_E_ITEM_TOO_LARGE;
 *   mask interrupts; slot = idx; idx = idx + 1 == count ? 0 : idx + 1;
 *   *seq = head++ (if seq); slot header = len; copy 16-byte blocks with
 *   LDM/STM when data is 4-aligned, then words, then bytes (bytes only when
 *   data is unaligned: LDM faults on unaligned addresses); unmask; CD_OK.
 * The host unit tests cover the C; tests/bench/ring_insns.py runs the assembly
 * in an emulator and checks every slot it writes against a model.
 * -DCD_RING_WRITE_C=1 forces the C version.
 */
#if !defined(CD_RING_WRITE_C) && defined(__GNUC__) && defined(__ARM_ARCH_PROFILE) && \
    __ARM_ARCH_PROFILE == 'M' && defined(__ARM_ARCH_ISA_THUMB)
#define CD_RING_WRITE_ASM __ARM_ARCH_ISA_THUMB
#endif

#ifdef CD_RING_WRITE_ASM
/* The assembly hard-codes these. */
_Static_assert(offsetof(cd_ring_hdr_t, item_size) == 6 && offsetof(cd_ring_hdr_t, count) == 8 &&
                   offsetof(cd_ring_hdr_t, stride) == 12 && offsetof(cd_ring_hdr_t, head) == 52 &&
                   offsetof(cd_ring_hdr_t, idx) == 64 && sizeof(cd_ring_hdr_t) == 68,
               "cd_ring_write assembly: ring header offsets");
_Static_assert(CD_OK == 0 && CD_E_INVAL == -1 && CD_E_ITEM_TOO_LARGE == -7,
               "cd_ring_write assembly: status codes");

#define CD_ASM_FUNC_BEGIN                                          \
    "  .pushsection .text.cd_ring_write,\"ax\",%progbits\n"        \
    "  .syntax unified\n"                                          \
    "  .thumb\n"                                                   \
    "  .balign 4\n"                                                \
    "  .global cd_ring_write\n"                                    \
    "  .type cd_ring_write, %function\n"                           \
    "  .thumb_func\n"                                              \
    "cd_ring_write:\n"
#define CD_ASM_FUNC_END                                            \
    "  .size cd_ring_write, . - cd_ring_write\n"                   \
    "  .popsection\n"

#if CD_RING_WRITE_ASM == 2
/* ARMv7-M, ARMv8-M mainline. r0 ring, r1 data, r2 len, r3 seq; r12 saved
 * PRIMASK; r7 destination; r0 counts blocks so it is 0 at the end. */
__asm__(CD_ASM_FUNC_BEGIN
        "  cbz     r0, 8f\n"
        "  cbz     r1, 8f\n"
        "  ldrh    r12, [r0, #6]\n"        /* item_size */
        "  cmp     r2, r12\n"
        "  bhi     9f\n"
        "  cbz     r2, 8f\n"
        "  push    {r4-r7, lr}\n"
        "  mrs     r12, primask\n"
        "  cpsid   i\n"
        "  ldr     r4, [r0, #64]\n"        /* idx */
        "  ldr     r5, [r0, #12]\n"        /* stride */
        "  ldr     r6, [r0, #8]\n"         /* count */
        "  mla     r7, r4, r5, r0\n"       /* slot - sizeof(hdr) */
        "  adds    r4, #1\n"
        "  cmp     r4, r6\n"
        "  it      eq\n"
        "  moveq   r4, #0\n"
        "  str     r4, [r0, #64]\n"
        "  ldr     r4, [r0, #52]\n"        /* head: this item's seq */
        "  adds    r5, r4, #1\n"
        "  str     r5, [r0, #52]\n"
        "  cbz     r3, 1f\n"
        "  str     r4, [r3]\n"
        "1:str     r2, [r7, #68]!\n"       /* slot header: len, reserved 0 */
        "  adds    r7, #4\n"
        "  lsls    r4, r1, #30\n"
        "  bne     6f\n"                   /* unaligned data: bytes */
        "  lsrs    r0, r2, #4\n"
        "  beq     3f\n"
        "2:ldmia   r1!, {r3-r6}\n"
        "  stmia   r7!, {r3-r6}\n"
        "  subs    r0, #1\n"
        "  bne     2b\n"
        "3:ands    r2, r2, #15\n"
        "  bne     4f\n"
        "  msr     primask, r12\n"
        "  pop     {r4-r7, pc}\n"
        "8:mvn     r0, #0\n"               /* CD_E_INVAL */
        "  bx      lr\n"
        "9:mvn     r0, #6\n"               /* CD_E_ITEM_TOO_LARGE */
        "  bx      lr\n"
        "4:cmp     r2, #4\n"               /* 1..15 bytes left, r0 == 0 */
        "  blo     6f\n"
        "5:ldr     r3, [r1], #4\n"
        "  str     r3, [r7], #4\n"
        "  subs    r2, #4\n"
        "  cmp     r2, #4\n"
        "  bhs     5b\n"
        "  cbz     r2, 7f\n"
        "6:ldrb    r3, [r1], #1\n"         /* r2 >= 1 */
        "  strb    r3, [r7], #1\n"
        "  subs    r2, #1\n"
        "  bne     6b\n"
        "7:movs    r0, #0\n"
        "  msr     primask, r12\n"
        "  pop     {r4-r7, pc}\n"
        CD_ASM_FUNC_END);
#else
/* ARMv6-M, ARMv8-M baseline: low registers, no CBZ/IT/MLA. r0 ring, r1 data,
 * r2 len, r3 seq; r12 saved PRIMASK; r5 destination; r0 counts blocks. */
__asm__(CD_ASM_FUNC_BEGIN
        "  cmp     r0, #0\n"
        "  beq     8f\n"
        "  cmp     r1, #0\n"
        "  beq     8f\n"
        "  push    {r4-r7, lr}\n"
        "  ldrh    r4, [r0, #6]\n"         /* item_size */
        "  subs    r5, r2, #1\n"           /* len 0 wraps: one compare for both */
        "  cmp     r5, r4\n"
        "  bhs     9f\n"
        "  mrs     r12, primask\n"
        "  cpsid   i\n"
        "  ldr     r4, [r0, #64]\n"        /* idx */
        "  ldr     r5, [r0, #12]\n"        /* stride */
        "  muls    r5, r4\n"
        "  adds    r4, #1\n"
        "  ldr     r6, [r0, #8]\n"         /* count */
        "  cmp     r4, r6\n"
        "  bne     1f\n"
        "  movs    r4, #0\n"
        "1:str     r4, [r0, #64]\n"
        "  ldr     r4, [r0, #52]\n"        /* head: this item's seq */
        "  adds    r6, r4, #1\n"
        "  str     r6, [r0, #52]\n"
        "  cmp     r3, #0\n"
        "  beq     2f\n"
        "  str     r4, [r3]\n"
        "2:adds    r5, r0\n"
        "  adds    r5, #68\n"              /* slot */
        "  stmia   r5!, {r2}\n"            /* slot header: len, reserved 0 */
        "  lsls    r4, r1, #30\n"
        "  bne     6f\n"                   /* unaligned data: bytes */
        "  lsrs    r0, r2, #4\n"
        "  beq     4f\n"
        "3:ldmia   r1!, {r3, r4, r6, r7}\n"
        "  stmia   r5!, {r3, r4, r6, r7}\n"
        "  subs    r0, #1\n"
        "  bne     3b\n"
        "4:lsls    r3, r2, #28\n"
        "  bne     5f\n"
        "  msr     primask, r12\n"
        "  pop     {r4-r7, pc}\n"
        "5:lsrs    r2, r3, #28\n"          /* 1..15 bytes left, r0 == 0 */
        "  cmp     r2, #4\n"
        "  blo     6f\n"
        "10:ldmia  r1!, {r3}\n"
        "  stmia   r5!, {r3}\n"
        "  subs    r2, #4\n"
        "  cmp     r2, #4\n"
        "  bhs     10b\n"
        "  cmp     r2, #0\n"
        "  beq     7f\n"
        "6:ldrb    r3, [r1]\n"             /* r2 >= 1 */
        "  strb    r3, [r5]\n"
        "  adds    r1, #1\n"
        "  adds    r5, #1\n"
        "  subs    r2, #1\n"
        "  bne     6b\n"
        "7:movs    r0, #0\n"
        "  msr     primask, r12\n"
        "  pop     {r4-r7, pc}\n"
        "8:movs    r0, #0\n"
        "  mvns    r0, r0\n"               /* CD_E_INVAL */
        "  bx      lr\n"
        "9:movs    r0, #6\n"               /* ~6 = CD_E_ITEM_TOO_LARGE */
        "  cmp     r2, #0\n"
        "  bne     11f\n"
        "  movs    r0, #0\n"               /* len 0: ~0 = CD_E_INVAL */
        "11:mvns   r0, r0\n"
        "  pop     {r4-r7, pc}\n"
        CD_ASM_FUNC_END);
#endif

#else /* portable C */

/*
 * Copies len bytes into a slot (dst is 4-aligned). Word copies only when the
 * source is 4-aligned too: LDM and LDRD fault on unaligned addresses on every
 * M-profile core, and Cortex-M0 faults on any unaligned word access. The 16-byte
 * block assignment lets the compiler use LDM/STM of four registers.
 */
static inline void ring_copy_in(uint8_t *dst, const uint8_t *src, size_t len)
{
    if (((uintptr_t)src & 3u) == 0) {
        cd_w128_t *d = (cd_w128_t *)(void *)dst;
        const cd_w128_t *s = (const cd_w128_t *)(const void *)src;
        for (size_t n = len >> 4; n != 0; n--) {
            *d++ = *s++;
        }
        dst = (uint8_t *)d;
        src = (const uint8_t *)s;
        len &= 15u;
        if (len == 0) {
            return;
        }
        for (; len >= 4u; len -= 4u, dst += 4, src += 4) {
            *(cd_w32_t *)(void *)dst = *(const cd_w32_t *)(const void *)src;
        }
    }
    for (; len != 0; len--) {
        *dst++ = *src++;
    }
}

int cd_ring_write(cd_ring_t *r, const void *data, size_t len, uint32_t *seq)
{
    if (r == NULL || data == NULL) {
        return CD_E_INVAL;
    }
    /* One unsigned compare rejects both len 0 (wraps to SIZE_MAX) and
     * len > item_size; sort out which only on the error path. */
    if (len - 1u >= r->hdr.item_size) {
        return len == 0 ? CD_E_INVAL : CD_E_ITEM_TOO_LARGE;
    }

    /* Cursors first, copy last: only the copy's pointers and the saved mask
     * stay live across the copy, which keeps the register pressure (and so the
     * push/pop and spills) down. All of it runs inside the lock. */
    uint32_t key = cd_arch_irq_lock();
    uint32_t idx = r->hdr.idx;
    uint8_t *slot = ring_slots(r) + idx * r->hdr.stride;
    if (++idx == r->hdr.count) {
        idx = 0;
    }
    r->hdr.idx = idx;
    uint32_t s = r->hdr.head;
    r->hdr.head = s + 1u;
    if (seq != NULL) {
        *seq = s;
    }
    /* len and the zero reserved half in one store (little-endian). */
    *(cd_w32_t *)(void *)slot = (uint32_t)len;
    ring_copy_in(slot + CD_SLOT_HDR_LEN, data, len);
    cd_arch_irq_unlock(key);
    return CD_OK;
}

#endif /* CD_RING_WRITE_ASM */

/* Validates a held slot's length field; returns the length or CD_E_CORRUPT.
 * Rings are checked at boot, so this only catches a stray write since then. */
static inline int slot_len(const cd_ring_hdr_t *h, const uint8_t *slot)
{
    uint32_t w = slot_word(slot);
    if (w == 0 || w > h->item_size) {
        return CD_E_CORRUPT;
    }
    return (int)w;
}

int cd_ring_read(cd_ring_t *r, void *buf, size_t cap, uint32_t *seq, uint32_t *lost)
{
    if (r == NULL || (buf == NULL && cap != 0)) {
        return CD_E_INVAL;
    }

    uint32_t key = cd_arch_irq_lock();
    uint32_t lag;
    uint32_t s = ring_oldest(&r->hdr, &lag);
    int rc;
    if (s == r->hdr.head) {
        rc = CD_E_EMPTY;
    } else {
        const uint8_t *slot = ring_slot_of(r, s);
        rc = slot_len(&r->hdr, slot);
        if (rc > 0 && (size_t)rc > cap) {
            rc = CD_E_NOSPACE; /* the item stays */
        } else {
            if (rc > 0) {
                cd_copy(buf, slot + CD_SLOT_HDR_LEN, (size_t)rc);
            }
            /* A corrupt item is consumed too, so one bad slot cannot wedge
             * the reader; the caller still learns its seq. */
            r->hdr.tail = s + 1u;
            r->hdr.lost += lag;
        }
    }
    cd_arch_irq_unlock(key);

    if (rc > 0 || rc == CD_E_CORRUPT) {
        if (seq != NULL) {
            *seq = s;
        }
        if (lost != NULL) {
            *lost = lag;
        }
    }
    return rc;
}

int cd_ring_peek(const cd_ring_t *r, uint32_t seq, void *buf, size_t cap)
{
    if (r == NULL || (buf == NULL && cap != 0)) {
        return CD_E_INVAL;
    }

    uint32_t key = cd_arch_irq_lock();
    uint32_t lag;
    uint32_t oldest = ring_oldest(&r->hdr, &lag);
    int rc;
    if (seq - oldest >= r->hdr.head - oldest) {
        rc = CD_E_NOT_FOUND;
    } else {
        const uint8_t *slot = ring_slot_of(r, seq);
        rc = slot_len(&r->hdr, slot);
        if (rc > 0 && (size_t)rc > cap) {
            rc = CD_E_NOSPACE;
        } else if (rc > 0) {
            cd_copy(buf, slot + CD_SLOT_HDR_LEN, (size_t)rc);
        }
    }
    cd_arch_irq_unlock(key);
    return rc;
}

void cd_ring_stat(const cd_ring_t *r, cd_ring_stat_t *st)
{
    if (st == NULL) {
        return;
    }
    cd_zero(st, sizeof *st);
    if (r == NULL) {
        return;
    }
    uint32_t key = cd_arch_irq_lock();
    uint32_t lag;
    st->oldest_seq = ring_oldest(&r->hdr, &lag);
    st->head_seq = r->hdr.head;
    st->lost = r->hdr.lost + lag;
    cd_arch_irq_unlock(key);
    st->count = r->hdr.count;
    st->item_size = r->hdr.item_size;
}

const cd_guid_t *cd_ring_guid(const cd_ring_t *r)
{
    return r != NULL ? &r->hdr.guid : NULL;
}

const char *cd_ring_label(const cd_ring_t *r)
{
    return r != NULL ? r->hdr.label : NULL;
}

void cd_ring_hdr_make(cd_ring_hdr_t *h, const cd_guid_t *guid, const char *label,
                      uint16_t item_size, uint32_t count)
{
    cd_zero(h, sizeof *h);
    h->magic = CD_RING_MAGIC;
    h->version = CD_RING_VERSION;
    h->item_size = item_size;
    h->count = count;
    h->stride = CD_RING_STRIDE(item_size);
    cd_copy(&h->guid, guid, sizeof h->guid); /* Cortex-M0 calls memcpy for `= *guid` */
    for (size_t i = 0; label != NULL && i < CD_LABEL_LEN && label[i] != '\0'; i++) {
        h->label[i] = label[i];
    }
    h->hdr_crc = cd_crc32(0, h, CD_RING_HDR_CRC_LEN);
}

void cd_ring_init(cd_ring_t *r, const cd_guid_t *guid, const char *label, uint16_t item_size,
                  uint32_t count)
{
    cd_ring_hdr_t h;
    cd_ring_hdr_make(&h, guid, label, item_size, count);

    uint32_t magic = h.magic;
    h.magic = 0;
    cd_copy(&r->hdr, &h, sizeof h); /* not a struct assignment: that calls memcpy */
    cd_zero(ring_slots(r), (size_t)count * h.stride);

    uint32_t key = cd_arch_irq_lock(); /* also a compiler barrier */
    r->hdr.magic = magic;
    cd_arch_irq_unlock(key);
}

int cd_ring_check(cd_ring_t *r, size_t slot_bytes_max)
{
    static const cd_guid_t zero_guid;
    cd_ring_hdr_t *h = &r->hdr;

    if (h->magic != CD_RING_MAGIC || h->version != CD_RING_VERSION ||
        cd_crc32(0, h, CD_RING_HDR_CRC_LEN) != h->hdr_crc) {
        return CD_E_CORRUPT;
    }
    if (h->item_size == 0 || h->item_size > CD_ITEM_MAX ||
        h->stride != CD_RING_STRIDE(h->item_size) ||
        cd_equal(&h->guid, &zero_guid, sizeof zero_guid)) {
        return CD_E_CORRUPT;
    }
    /* The ring code indexes slots with 32-bit arithmetic: a bound past 4 GiB
     * (a host build) is the same as 4 GiB. */
    uint32_t max32 = slot_bytes_max > UINT32_MAX ? UINT32_MAX : (uint32_t)slot_bytes_max;
    if (h->count == 0 || h->count > cd_udiv(max32, h->stride)) {
        return CD_E_CORRUPT;
    }
    /* idx and head move together, but idx wraps at count and head at 2^32,
     * so idx == head % count holds across the 2^32 wrap only when count
     * divides 2^32. */
    if (h->idx >= h->count ||
        ((h->count & (h->count - 1u)) == 0 && h->idx != (h->head & (h->count - 1u)))) {
        return CD_E_CORRUPT;
    }
    /* No tail is impossible: writes never move it, so a ring that is only
     * written (or only captured) lags by any amount modulo 2^32. What is
     * bounded is what the ring holds, head - oldest <= count, and
     * ring_oldest() gives that for every tail; the slots held must be sane. */
    uint32_t lag;
    uint32_t oldest = ring_oldest(h, &lag);
    for (uint32_t s = oldest; s != h->head; s++) {
        if (slot_len(h, ring_slot_of(r, s)) < 0) {
            return CD_E_CORRUPT;
        }
    }
    /* tail 2^31 or more behind head is half way to the 2^32 wrap, where the
     * lag would alias to a small one and hide the items held (a write could
     * even make the ring look empty). Fold it into lost: the total a reader
     * sees is unchanged; only the next read's own `lost` starts from 0. */
    if (h->head - h->tail >= 0x80000000u) {
        h->tail = oldest;
        h->lost += lag;
    }
    return CD_OK;
}
