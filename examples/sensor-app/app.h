/* SPDX-License-Identifier: Apache-2.0 */
#ifndef APP_H
#define APP_H

#include <stdint.h>

#define APP_TICK_HZ 100u

extern volatile uint32_t app_ticks;

struct sensor_state {
    int32_t filtered;
    int32_t last;
    uint32_t steps;
};
extern struct sensor_state sensor_state;

/* port.c: UART (receive interrupt feeding crashdump) and SysTick. */
void port_start(void);

/* sensor.c: one step of the sensor pipeline, every 100 ms. */
void sensor_step(uint32_t boot, uint32_t step);

#endif /* APP_H */
