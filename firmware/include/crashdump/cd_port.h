/* SPDX-License-Identifier: Apache-2.0 */
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

/* ---- dump storage (flash) */

/* Geometry of the dump partition. Offsets passed to the functions below are
 * relative to its start. */
typedef struct {
    uintptr_t base;       /* CPU address of the partition (debug probes read it there) */
    uint32_t size;        /* bytes, a multiple of erase_size */
    uint32_t erase_size;  /* erase unit, bytes */
    uint32_t write_size;  /* program unit: 1, 2, 4 or 8 bytes; offsets and lengths are multiples */
} cd_flash_geometry_t;

/* Any, fault. The partition's geometry (a constant). */
const cd_flash_geometry_t *cd_port_flash_geometry(void);

/* Thread or fault. Erases [offset, offset + len), both multiples of erase_size;
 * erased bytes read 0xFF. Returns CD_OK or CD_E_IO. Must not use interrupts. */
int cd_port_flash_erase(uint32_t offset, uint32_t len);

/* Thread or fault. Programs len bytes (offset and len multiples of write_size)
 * into erased flash. Returns CD_OK or CD_E_IO (e.g. verify failed). */
int cd_port_flash_program(uint32_t offset, const void *data, uint32_t len);

/* Any, fault. Reads len bytes from the partition. Returns CD_OK or CD_E_IO. */
int cd_port_flash_read(uint32_t offset, void *buf, uint32_t len);

#ifdef __cplusplus
}
#endif

#endif /* CD_PORT_H */
