/*
 * Internal interfaces shared by the portable core's files. Not part of the API.
 */
#ifndef CD_INTERNAL_H
#define CD_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "crashdump/crashdump.h"

/* CRC-32/ISO-HDLC (zlib). Start with crc = 0; chain by passing the previous result. */
uint32_t cd_crc32(uint32_t crc, const void *data, size_t len);

/* Fills *info for the INFO command (everything but the rx counters). */
void cd_core_info(cd_wire_info_t *info);

#endif /* CD_INTERNAL_H */
