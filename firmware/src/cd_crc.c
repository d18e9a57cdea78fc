/* SPDX-License-Identifier: Apache-2.0 */
/*
 * CRC-32/ISO-HDLC (the zlib / Ethernet CRC): reflected polynomial 0xEDB88320,
 * init and final xor 0xFFFFFFFF. Used for ring headers, the store header and
 * protocol frames.
 *
 * A 16-entry nibble table (64 bytes of flash) instead of the usual 256-entry
 * one (1 KiB): two table steps per byte. CRCs here cover headers of tens of
 * bytes and frames of at most CD_FRAME_MAX bytes, so the table size matters
 * more than the speed.
 *
 * Also the byte copy, fill and compare the library uses instead of libc's: a
 * few bytes each instead of the several hundred newlib's optimised memcpy,
 * memmove, memset and memcmp bring in, and no dependency on the C library
 * (the fault path above all). The copies are small (headers, items of at most
 * CD_ITEM_MAX bytes, 32-byte program units), so bytewise is fast enough.
 * And the unsigned division, which a core without a divide instruction would
 * otherwise take from libgcc.
 */
#include "cd_internal.h"

static const uint32_t cd_crc_table[16] = {
    0x00000000u, 0x1db71064u, 0x3b6e20c8u, 0x26d930acu,
    0x76dc4190u, 0x6b6b51f4u, 0x4db26158u, 0x5005713cu,
    0xedb88320u, 0xf00f9344u, 0xd6d6a3e8u, 0xcb61b38cu,
    0x9b64c2b0u, 0x86d3d2d4u, 0xa00ae278u, 0xbdbdf21cu,
};

uint32_t cd_crc32(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = data;

    /* The pre- and post-inversion make the function chainable: the result of
     * one call is a valid starting value for the next. */
    crc = ~crc;
    while (len--) {
        crc ^= *p++;
        crc = (crc >> 4) ^ cd_crc_table[crc & 0xfu];
        crc = (crc >> 4) ^ cd_crc_table[crc & 0xfu];
    }
    return ~crc;
}

/* Word accesses may alias any object, like memcpy's and memset's. */
typedef uint32_t __attribute__((may_alias)) cd_word_t;

/* The empty asm in each loop keeps GCC and clang from recognising the loop as
 * memcpy / memset and calling the C library after all; it emits nothing.
 * Word moves when both pointers are 4-aligned (the dump writer's usual case);
 * always upwards, so a move to a lower address may overlap. */
void cd_copy(void *dst, const void *src, size_t len)
{
    uint8_t *d = dst;
    const uint8_t *s = src;
    if ((((uintptr_t)d | (uintptr_t)s) & 3u) == 0) {
        for (; len >= 4u; len -= 4u, d += 4, s += 4) {
            *(cd_word_t *)(void *)d = *(const cd_word_t *)(const void *)s;
            __asm__ volatile("");
        }
    }
    while (len--) {
        *d++ = *s++;
        __asm__ volatile("");
    }
}

int cd_equal(const void *a, const void *b, size_t len)
{
    const uint8_t *x = a;
    const uint8_t *y = b;
    while (len--) {
        if (*x++ != *y++) {
            return 0;
        }
    }
    return 1;
}

/* Word stores when dst is aligned: cd_init() zeroes the whole storage block
 * (8-aligned, often hundreds of KiB) on a fresh start. */
void cd_zero(void *dst, size_t len)
{
    uint8_t *d = dst;
    if (((uintptr_t)d & 3u) == 0) {
        for (; len >= 4u; len -= 4u, d += 4) {
            *(cd_word_t *)(void *)d = 0;
            __asm__ volatile("");
        }
    }
    while (len--) {
        *d++ = 0;
        __asm__ volatile("");
    }
}

uint32_t cd_udiv_shift(uint32_t n, uint32_t d)
{
    uint32_t q = 0;
    for (unsigned i = 32u; i-- > 0u;) {
        if ((n >> i) >= d) { /* d << i fits: it is at most n */
            n -= d << i;
            q |= 1u << i;
        }
    }
    return q;
}

uint32_t cd_udiv(uint32_t n, uint32_t d)
{
#if defined(__arm__) && !defined(__ARM_FEATURE_IDIV)
    /* No divide instruction (v6-M): a few bytes instead of libgcc's
     * __aeabi_uidiv (280 bytes). Only configuration checks divide. */
    return cd_udiv_shift(n, d);
#else
    return n / d;
#endif
}
