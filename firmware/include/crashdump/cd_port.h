/*
 * crashdump port contract: what a board must provide. Every function here is
 * called by the portable core and must be defined by the port (there are no weak
 * defaults, so a missing one fails at link time). boards/<board>/ holds examples.
 */
#ifndef CD_PORT_H
#define CD_PORT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Memory region attributes. */
#define CD_MEM_READ (1u << 0)
#define CD_MEM_WRITE (1u << 1)

typedef struct {
    uintptr_t start;
    size_t len;
    uint32_t flags;  /* CD_MEM_* */
} cd_mem_region_t;

/* Any, fault. The board's readable memory (RAM, flash, ...) as a constant table;
 * *count gets its length. Triage ranges must lie inside one region. */
const cd_mem_region_t *cd_port_memory_map(size_t *count);

/* Any, fault. The firmware's GNU build-id bytes (usually from the linker-placed
 * .note.gnu.build-id section); *len gets 0..CD_BUILD_ID_MAX. */
const uint8_t *cd_port_build_id(size_t *len);

/* Thread. Sends bytes on the protocol's byte stream (UART, USB CDC, ...),
 * blocking until they are queued. */
void cd_port_tx(const uint8_t *buf, size_t len);

/* Thread. Warm reset (SYSRESETREQ on Cortex-M) once pending output is sent.
 * Does not return. */
void cd_port_reset(void);

#ifdef __cplusplus
}
#endif

#endif /* CD_PORT_H */
