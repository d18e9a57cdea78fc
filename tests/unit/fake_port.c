#include "fake_port.h"

#include <string.h>

volatile int cd_host_irq_locked;

uint8_t fake_tx[FAKE_TX_CAP];
size_t fake_tx_len;
int fake_resets;

static const cd_mem_region_t *map_table;
static size_t map_count;
static uint8_t build_id[20];
static size_t build_id_len;

void fake_set_memory_map(const cd_mem_region_t *map, size_t count)
{
    map_table = map;
    map_count = count;
}

void fake_set_build_id(const uint8_t *id, size_t len)
{
    if (len > sizeof build_id) {
        len = sizeof build_id;
    }
    memcpy(build_id, id, len);
    build_id_len = len;
}

void fake_tx_clear(void)
{
    fake_tx_len = 0;
}

const cd_mem_region_t *cd_port_memory_map(size_t *count)
{
    *count = map_count;
    return map_table;
}

const uint8_t *cd_port_build_id(size_t *len)
{
    *len = build_id_len;
    return build_id;
}

void cd_port_tx(const uint8_t *buf, size_t len)
{
    if (len > FAKE_TX_CAP - fake_tx_len) {
        len = FAKE_TX_CAP - fake_tx_len;
    }
    memcpy(fake_tx + fake_tx_len, buf, len);
    fake_tx_len += len;
}

void cd_port_reset(void)
{
    fake_resets++;
}
