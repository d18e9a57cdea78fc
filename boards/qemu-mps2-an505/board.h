/* SPDX-License-Identifier: Apache-2.0 */
/*
 * QEMU mps2-an505 (Cortex-M33, Secure state): the MPS2 TrustZone memory map,
 * whose constants are shared in boards/common/mps2/mps2_board.h.
 */
#ifndef BOARD_H
#define BOARD_H

#define BOARD_MPS2_TZ 1

#include "mps2_board.h"

#endif /* BOARD_H */
