/*
 * crashdump build-time limits. Each may be overridden with -D on the compiler
 * command line (the board's CMake does this); the defaults suit a 32 KiB-RAM part.
 */
#ifndef CD_CONFIG_H
#define CD_CONFIG_H

/* Largest frame before COBS (header + payload + CRC), both directions. Sets the
 * size of the protocol's two frame buffers. Default 1024; at least 128. */
#ifndef CD_FRAME_MAX
#define CD_FRAME_MAX 1024u
#endif

/* Largest item size any ring may be created with, bytes. Must fit one capture
 * reply: CD_ITEM_MAX + 2 <= CD_FRAME_MAX - 8 - sizeof(cd_wire_items_t).
 * Default 256. */
#ifndef CD_ITEM_MAX
#define CD_ITEM_MAX 256u
#endif

/* Build the test-only fault injection commands. Default 0; QEMU demo builds set 1. */
#ifndef CD_ENABLE_FAULT_CMDS
#define CD_ENABLE_FAULT_CMDS 0
#endif

#endif /* CD_CONFIG_H */
