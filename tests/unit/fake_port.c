/* SPDX-License-Identifier: Apache-2.0 */
#include "fake_port.h"

#include <string.h>

volatile int cd_host_irq_locked;

uint8_t fake_tx[FAKE_TX_CAP];
size_t fake_tx_len;
int fake_resets;
void (*fake_tx_hook)(const uint8_t *buf, size_t len);

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
    if (fake_tx_hook != NULL) {
        fake_tx_hook(buf, len);
    }
}

void cd_port_reset(void)
{
    fake_resets++;
}

/* ------------------------------------------------------------ flash */

#include <stdlib.h>

#include "cd_crash.h"
#include "crashdump/cd_status.h"

uint8_t fake_flash[FAKE_FLASH_CAP];
cd_flash_geometry_t fake_geometry = {0x00200000u, 16u * 1024u, 1024u, 4u};
uint32_t fake_flash_ops;
uint32_t fake_flash_erases, fake_flash_programs;
uint32_t fake_flash_overprogram;
uint32_t fake_flash_cut_at;
int fake_flash_fail_io;
uint32_t fake_flash_fault_at;
void (*fake_flash_program_hook)(void);
uint32_t fake_flash_flip_at;
void (*fake_flash_fault_fn)(void);
jmp_buf fake_cut_jmp;
static int flash_ready;
static uint32_t cut_rng = 12345u;

static void flash_init_once(void)
{
    if (!flash_ready) {
        memset(fake_flash, 0xFF, sizeof fake_flash);
        flash_ready = 1;
    }
}

void fake_flash_setup(uint32_t size, uint32_t erase_size, uint32_t write_size)
{
    if (size > FAKE_FLASH_CAP) {
        abort();
    }
    memset(fake_flash, 0xFF, sizeof fake_flash);
    flash_ready = 1;
    fake_geometry.size = size;
    fake_geometry.erase_size = erase_size;
    fake_geometry.write_size = write_size;
    fake_flash_cut_at = 0;
    fake_flash_fail_io = 0;
    fake_flash_fault_at = 0;
    fake_flash_overprogram = 0;
    fake_flash_reset_ops();
}

void fake_flash_reset_ops(void)
{
    fake_flash_ops = 0;
    fake_flash_erases = 0;
    fake_flash_programs = 0;
}

const cd_flash_geometry_t *cd_port_flash_geometry(void)
{
    flash_init_once();
    return &fake_geometry;
}

/* 1: cut the power in this operation; 2: a fault arrives during it. */
static int op_cut(void)
{
    fake_flash_ops++;
    if (fake_flash_fault_at != 0 && fake_flash_ops == fake_flash_fault_at) {
        fake_flash_fault_at = 0; /* once: the handler's own operations run */
        return 2;
    }
    return fake_flash_cut_at != 0 && fake_flash_ops == fake_flash_cut_at;
}

static void op_stop(int how)
{
    if (how == 2) {
        fake_flash_fault_fn();
        abort(); /* the fault handler returned: broken test */
    }
    longjmp(fake_cut_jmp, 1);
}

int cd_port_flash_erase(uint32_t offset, uint32_t len)
{
    flash_init_once();
    const uint32_t es = fake_geometry.erase_size;
    if (offset % es != 0 || len % es != 0 || offset > fake_geometry.size ||
        len > fake_geometry.size - offset) {
        abort(); /* broken contract */
    }
    fake_flash_erases++;
    int how = op_cut();
    if (how) {
        uint32_t pages = len / es, done = pages / 2u;
        memset(fake_flash + offset, 0xFF, (size_t)done * es);
        if (done < pages) {
            for (uint32_t i = 0; i < es; i++) {
                cut_rng = cut_rng * 1103515245u + 12345u;
                fake_flash[offset + done * es + i] = (uint8_t)(cut_rng >> 16);
            }
        }
        op_stop(how);
    }
    if (fake_flash_fail_io) {
        return CD_E_IO;
    }
    memset(fake_flash + offset, 0xFF, len);
    return CD_OK;
}

int cd_port_flash_program(uint32_t offset, const void *data, uint32_t len)
{
    flash_init_once();
    const uint32_t ws = fake_geometry.write_size;
    if (offset % ws != 0 || len % ws != 0 || len == 0 || offset > fake_geometry.size ||
        len > fake_geometry.size - offset) {
        abort(); /* broken contract */
    }
    if (fake_flash_program_hook != NULL) {
        fake_flash_program_hook();
    }
    fake_flash_programs++;
    const uint8_t *d = data;
    for (uint32_t i = 0; i < len; i++) {
        if (fake_flash[offset + i] != 0xFF) {
            fake_flash_overprogram++;
            break;
        }
    }
    uint32_t n = len;
    int cut = op_cut();
    if (cut) {
        n = len / 2u;
    }
    for (uint32_t i = 0; i < n; i++) {
        fake_flash[offset + i] &= d[i];
    }
    if (fake_flash_flip_at != 0 && fake_flash_programs == fake_flash_flip_at) {
        fake_flash[offset] ^= (uint8_t)(fake_flash[offset] != 0 ? fake_flash[offset] & -fake_flash[offset] : 1u);
    }
    if (cut) {
        op_stop(cut);
    }
    return fake_flash_fail_io ? CD_E_IO : CD_OK;
}

int cd_port_flash_read(uint32_t offset, void *buf, uint32_t len)
{
    flash_init_once();
    if (offset > fake_geometry.size || len > fake_geometry.size - offset) {
        return CD_E_IO;
    }
    memcpy(buf, fake_flash + offset, len);
    return CD_OK;
}

/* ------------------------------------------------------------ arch stand-ins */

jmp_buf fake_reset_jmp;
int fake_reset_armed;
int fake_arch_resets;

void cd_arch_fault_init(void)
{
    /* Nothing to enable on the host: faults are not modelled. */
}

void cd_arch_reset(void)
{
    fake_arch_resets++;
    if (!fake_reset_armed) {
        abort();
    }
    longjmp(fake_reset_jmp, 1);
}

uint32_t fake_fault_kind;
int fake_fault_inject_rc = CD_OK;

int cd_fault_inject(uint32_t kind)
{
    fake_fault_kind = kind;
    return fake_fault_inject_rc;
}
