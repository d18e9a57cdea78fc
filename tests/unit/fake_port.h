/*
 * Fake port for host-native unit tests: a settable memory map, a captured TX
 * stream and a reset counter, all inspectable by the tests.
 */
#ifndef FAKE_PORT_H
#define FAKE_PORT_H

#include <stddef.h>
#include <stdint.h>

#include "crashdump/cd_port.h"

#define FAKE_TX_CAP (1u << 20)

extern uint8_t fake_tx[FAKE_TX_CAP];  /* every byte sent through cd_port_tx() */
extern size_t fake_tx_len;
extern int fake_resets;               /* cd_port_reset() calls */

/* Replaces the memory map (the table must outlive its use). Empty until set. */
void fake_set_memory_map(const cd_mem_region_t *map, size_t count);

/* Sets the build-id returned by cd_port_build_id(). */
void fake_set_build_id(const uint8_t *id, size_t len);

void fake_tx_clear(void);

#endif /* FAKE_PORT_H */
