/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump settings of this firmware (CRASHDUMP_CONFIG_FILE in
 * CMakeLists.txt). Preprocessor lines only: crashdump's assembly includes it.
 */
#ifndef CRASHDUMP_CONFIG_H
#define CRASHDUMP_CONFIG_H

/* Protocol frames and record size: the defaults (1024, 256) suit this app. */

/* The dump partition (crashdump::flash_ram): the top 128 KiB of the 4 MiB
 * code memory, which QEMU's mps2-an386 models as RAM that a warm reset keeps.
 * The DUMP region in app.ld must be the same range. */
#define CD_DUMP_BASE 0x003E0000u
#define CD_DUMP_SIZE 0x00020000u
#define CD_DUMP_ERASE_SIZE 4096u

#endif /* CRASHDUMP_CONFIG_H */
