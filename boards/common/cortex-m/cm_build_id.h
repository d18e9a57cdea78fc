/*
 * The firmware's GNU build-id, read from the .note.gnu.build-id section that
 * cm_sections.ld keeps in flash between __build_id_start and __build_id_end.
 * Boards return it from cd_port_build_id().
 */
#ifndef CM_BUILD_ID_H
#define CM_BUILD_ID_H

#include <stddef.h>
#include <stdint.h>

/* Any context, including fault handlers (reads flash only). Returns the
 * build-id descriptor bytes and sets *len (at most `max`), or returns NULL with
 * *len = 0 if the note is missing or malformed (e.g. linked without
 * -Wl,--build-id). */
const uint8_t *cm_build_id(size_t max, size_t *len);

#endif /* CM_BUILD_ID_H */
