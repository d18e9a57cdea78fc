/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QEMU mps2-an385 (Cortex-M3): the AN385 memory map and peripherals, whose
 * constants are shared in boards/common/mps2/mps2_board.h.
 */
#ifndef BOARD_H
#define BOARD_H

#include "mps2_board.h"

#endif /* BOARD_H */
