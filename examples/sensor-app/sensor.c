/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The app's "sensor pipeline", with two field bugs planted in it so that the
 * example has something to show: on its first boot an out-of-range sample
 * trips an assertion, on its second a corrupted calibration pointer makes a
 * load from unmapped memory (a precise BusFault). From the third boot on it
 * runs cleanly and the host can pull both dumps.
 */
#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "crashdump/crashdump.h"

#define SENSOR_MAX 4095

typedef struct {
    int32_t offset;
    float gain;
} calibration_t;

static const calibration_t factory_calibration = {12, 1.0625f};
static const calibration_t *volatile calibration = &factory_calibration;

/* Saved with every crash (a triage range registered in main.c). */
struct sensor_state sensor_state;

static int32_t sensor_read(uint32_t boot, uint32_t step)
{
    int32_t raw = (int32_t)(1000u + step * 7u);

    if (boot == 1u && step == 5u) {
        raw = 5000; /* a glitch the filter was never meant to see */
    }
    return raw;
}

__attribute__((noinline)) static int32_t sensor_filter(int32_t sample)
{
    CD_ASSERT(sample >= 0 && sample <= SENSOR_MAX);
    sensor_state.filtered = (sensor_state.filtered * 3 + sample) / 4;
    return sensor_state.filtered;
}

__attribute__((noinline)) static int32_t calibration_apply(int32_t value)
{
    const calibration_t *c = calibration;

    return (int32_t)((float)(value + c->offset) * c->gain);
}

void sensor_step(uint32_t boot, uint32_t step)
{
    int32_t filtered = sensor_filter(sensor_read(boot, step));

    if (boot == 2u && step == 5u) {
        calibration = (const calibration_t *)0x60000000u; /* a stray write */
    }
    sensor_state.last = calibration_apply(filtered);
    sensor_state.steps++;
    (void)cd_self_write(&sensor_state, sizeof sensor_state);
}
