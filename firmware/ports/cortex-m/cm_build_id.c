/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cd_port_build_id() for every Cortex-M board: the firmware's GNU build-id,
 * read from the .note.gnu.build-id section that cm_sections.ld keeps in flash
 * between __build_id_start and __build_id_end.
 *
 * ELF note layout (all words little-endian on Cortex-M):
 *   u32 namesz (4 for "GNU\0"), u32 descsz, u32 type (3 = NT_GNU_BUILD_ID),
 *   name padded to 4 bytes, then descsz bytes of descriptor (20 for sha1).
 * The section is checked rather than trusted: a wrong linker script must give
 * "no build-id", not garbage.
 */
#include <stddef.h>
#include <stdint.h>

#include "crashdump/cd_format.h"
#include "crashdump/cd_port.h"

#define NT_GNU_BUILD_ID 3u

extern const uint8_t __build_id_start[], __build_id_end[];

typedef struct {
    uint32_t namesz;
    uint32_t descsz;
    uint32_t type;
    uint8_t name[4];
} cm_note_hdr_t;

/* Any context, fault handlers included (reads flash only). NULL with
 * *len = 0 if the note is missing or malformed (linked without --build-id). */
const uint8_t *cd_port_build_id(size_t *len)
{
    const size_t max = CD_BUILD_ID_MAX;
    size_t avail = (size_t)(__build_id_end - __build_id_start);
    const cm_note_hdr_t *n = (const cm_note_hdr_t *)(const void *)__build_id_start;

    *len = 0;
    if (avail < sizeof(*n) || n->namesz != 4u || n->type != NT_GNU_BUILD_ID ||
        n->name[0] != 'G' || n->name[1] != 'N' || n->name[2] != 'U' || n->name[3] != 0u ||
        n->descsz == 0u || n->descsz > avail - sizeof(*n)) {
        return NULL;
    }
    *len = n->descsz < max ? n->descsz : max;
    return __build_id_start + sizeof(*n);
}
