/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump formats: the one source of truth for every byte layout the device and
 * the host share -- the serial protocol (docs/protocol.md) and the rings kept in
 * .noinit RAM, which are also copied verbatim into crash dumps (docs/dump-format.md).
 *
 * All multi-byte fields are little-endian. Structs use natural alignment with
 * explicit reserved fields, so they have no implicit padding; the static asserts
 * at the bottom pin every size and offset the host relies on.
 * Never reorder or resize a field without bumping the matching version.
 */
#ifndef CD_FORMAT_H
#define CD_FORMAT_H

#include <stdint.h>

/* ---------------------------------------------------------------- identity */

/* A GUID as 16 bytes in the order of its canonical text form
 * ("00112233-4455-6677-8899-aabbccddeeff" -> 00 11 22 ... ff), the same order as
 * Python's uuid.UUID(...).bytes. All-zero is "no GUID". */
typedef struct {
    uint8_t b[16];
} cd_guid_t;

#define CD_LABEL_LEN 16u   /* label bytes, NUL-padded; a 16-char label has no NUL */
#define CD_NAME_LEN 32u    /* component name bytes on the wire, NUL-padded */
#define CD_BUILD_ID_MAX 20u /* GNU build-id (SHA-1) bytes */

/* ---------------------------------------------------------------- framing */

#define CD_PROTO_VERSION 1u

/*
 * Frame, before COBS encoding:   cmd u8 | id u8 | status i16 | payload | crc32 u32
 * On the wire: COBS(frame) followed by one 0x00 delimiter.
 * crc32 is CRC-32/ISO-HDLC (zlib's crc32) over cmd..payload.
 * A response has the request's cmd with CD_CMD_RESPONSE set and the same id.
 * In a request the status field carries the host's session tag instead; a
 * request equal to the last one executed (header, length, CRC) is answered
 * with the same response and not executed again (CD_CAP_DEDUP,
 * docs/protocol.md "Retries and duplicates").
 */
#define CD_FRAME_HDR_LEN 4u
#define CD_FRAME_CRC_LEN 4u
#define CD_FRAME_OVERHEAD (CD_FRAME_HDR_LEN + CD_FRAME_CRC_LEN)
#define CD_FRAME_DELIM 0x00u
#define CD_CMD_RESPONSE 0x80u

/* Commands (requests). Payload layouts below; every request payload must have
 * exactly the documented length unless marked "+ data". */
enum {
    CD_CMD_INFO = 0x01,          /* -> cd_wire_info_t */
    CD_CMD_RESET = 0x02,         /* -> empty; then the device warm-resets */
    CD_CMD_SRC_CREATE = 0x10,    /* cd_wire_create_t -> cd_wire_source_t */
    CD_CMD_SRC_OPEN = 0x11,      /* cd_guid_t -> cd_wire_source_t */
    CD_CMD_SRC_WRITE = 0x12,     /* cd_guid_t + data -> cd_wire_seq_t */
    CD_CMD_SRC_READ = 0x13,      /* cd_wire_read_t -> cd_wire_items_t + items */
    CD_CMD_SRC_CAPTURE = 0x14,   /* cd_wire_capture_t -> cd_wire_items_t + items */
    CD_CMD_SRC_DESTROY = 0x15,   /* cd_guid_t -> empty */
    CD_CMD_SRC_LIST = 0x16,      /* cd_wire_page_t -> cd_wire_list_t + cd_wire_source_t[] */
    CD_CMD_SELF_READ = 0x20,     /* cd_wire_read_t (guid ignored) -> as SRC_READ */
    CD_CMD_SELF_CAPTURE = 0x21,  /* cd_wire_capture_t (guid ignored) -> as SRC_CAPTURE */
    CD_CMD_TRIAGE_LIST = 0x30,   /* cd_wire_page_t -> cd_wire_list_t + cd_wire_range_t[] */
    CD_CMD_DUMP_STATUS = 0x40,   /* empty -> cd_wire_dump_status_t + cd_wire_slot_t[n_slots] */
    CD_CMD_DUMP_READ = 0x41,     /* cd_wire_dump_read_t -> the bytes (fewer at the end) */
    CD_CMD_DUMP_ERASE = 0x42,    /* cd_wire_dump_erase_t -> empty */
    CD_CMD_FAULT = 0x50,         /* cd_wire_fault_t -> no answer: the device crashes */
};

/* Capability bits in cd_wire_info_t.caps. */
#define CD_CAP_SOURCES (1u << 0)   /* data source commands */
#define CD_CAP_TRIAGE (1u << 1)    /* triage list */
#define CD_CAP_RESET (1u << 2)     /* warm reset command */
#define CD_CAP_DUMP (1u << 3)      /* crash dump commands (dump status/read/erase) */
#define CD_CAP_FAULT_CMDS (1u << 4) /* test-only fault injection commands */
#define CD_CAP_FPU (1u << 5)       /* the firmware saves FPU registers in dumps */
#define CD_CAP_DEDUP (1u << 6)     /* a repeated request is answered, not executed again */

typedef struct {
    uint16_t proto_version;   /* CD_PROTO_VERSION */
    uint16_t frame_max;       /* largest frame (before COBS) the device sends or accepts */
    uint32_t caps;            /* CD_CAP_* */
    uint16_t source_max;      /* data source slots */
    uint16_t source_used;
    uint32_t ring_max_bytes;  /* cap on a host source: count * stride bytes */
    uint16_t item_max;        /* largest item size a source may be created with */
    uint16_t triage_max;
    uint16_t triage_used;
    uint16_t self_item_size;
    uint32_t self_count;
    cd_guid_t self_guid;
    uint32_t boot_count;      /* boots since the .noinit storage was last initialised */
    uint32_t rx_frames;       /* good frames received since boot */
    uint32_t rx_errors;       /* frames dropped: bad CRC, too long, too short */
    uint8_t build_id_len;
    uint8_t lib_version[3];   /* crashdump library version: major, minor, patch (0.0.0 if unknown) */
    uint8_t build_id[CD_BUILD_ID_MAX];
    char name[CD_NAME_LEN];
} cd_wire_info_t;

typedef struct {
    cd_guid_t guid;
    char label[CD_LABEL_LEN];
    uint16_t item_size;
    uint16_t reserved;
    uint32_t count;
} cd_wire_create_t;

/* Source flags in cd_wire_source_t.flags. */
#define CD_SRC_F_REATTACHED (1u << 0) /* create found this GUID already present */
#define CD_SRC_F_SELF (1u << 1)       /* the firmware's own ring */

typedef struct {
    cd_guid_t guid;
    char label[CD_LABEL_LEN];
    uint16_t item_size;
    uint16_t flags;           /* CD_SRC_F_* */
    uint32_t count;
    uint32_t head_seq;        /* sequence number the next write will get */
    uint32_t oldest_seq;      /* oldest item still held; head_seq - oldest_seq items held */
    uint32_t lost;            /* items overwritten before they were read, since creation */
} cd_wire_source_t;

typedef struct {
    uint32_t seq;             /* sequence number given to the written item */
} cd_wire_seq_t;

typedef struct {
    cd_guid_t guid;
    uint16_t max_items;       /* 0 = as many as fit in one frame */
    uint16_t reserved;
} cd_wire_read_t;

#define CD_CAPTURE_F_FROM (1u << 0) /* start at from_seq, else at the oldest item */

typedef struct {
    cd_guid_t guid;
    uint32_t from_seq;
    uint32_t flags;           /* CD_CAPTURE_F_* */
} cd_wire_capture_t;

/* Reply to READ and CAPTURE, followed by n_items records of { u16 len; u8 data[len] }
 * with consecutive sequence numbers starting at first_seq. */
typedef struct {
    uint32_t first_seq;
    uint32_t head_seq;        /* ring head when the reply was built */
    uint32_t lost;            /* READ: items overwritten since the previous read;
                                 CAPTURE: ring's total lost count */
    uint16_t n_items;
    uint16_t reserved;
} cd_wire_items_t;

typedef struct {
    uint16_t start;           /* first entry index to return */
    uint16_t reserved;
} cd_wire_page_t;

typedef struct {
    uint16_t total;           /* entries in use */
    uint16_t n;               /* entries in this reply */
} cd_wire_list_t;

typedef struct {
    uint32_t addr;
    uint32_t len;
} cd_wire_range_t;

/* cd_wire_slot_t.state */
enum {
    CD_SLOT_EMPTY = 0,    /* erased, ready for a dump */
    CD_SLOT_VALID = 1,    /* a committed dump whose header and body CRCs match */
    CD_SLOT_INVALID = 2,  /* neither: torn or foreign bytes, erased at the next boot */
};

typedef struct {
    uint8_t state;            /* CD_SLOT_* */
    uint8_t reserved[3];
    uint32_t total_len;       /* VALID: the dump's length, else 0 */
    uint32_t crash_count;     /* VALID: copied from the dump header */
    uint32_t reason;
    uint32_t code;
    uint32_t body_crc;
    uint32_t flags;           /* cd_dump_hdr_t.flags */
} cd_wire_slot_t;

typedef struct {
    uint32_t partition_base;  /* CPU address of the dump partition (for debug probes) */
    uint32_t slot_size;       /* bytes per slot; slot i starts at partition_base + i * slot_size */
    uint16_t n_slots;
    uint16_t record_valid;    /* 1 if `record` holds a valid crash record */
    uint32_t dropped;         /* crashes whose dump is not kept (not stored, or erased
                               * by the slot policy) since the last power cycle */
    uint8_t record[44];       /* cd_crash_record_t of the last crash */
} cd_wire_dump_status_t;

typedef struct {
    uint16_t slot;
    uint16_t reserved;
    uint32_t offset;          /* within the slot */
    uint32_t len;             /* at most frame_max - 8 */
} cd_wire_dump_read_t;

#define CD_ERASE_F_FORCE (1u << 0) /* erase even if body_crc does not match */

typedef struct {
    uint16_t slot;
    uint16_t flags;           /* CD_ERASE_F_* */
    uint32_t body_crc;        /* the slot's body CRC: an interlock against erasing
                               * another dump, not a proof (DUMP_STATUS reveals it) */
} cd_wire_dump_erase_t;

/* Fault kinds for CD_CMD_FAULT (test builds only, CD_ENABLE_FAULT_CMDS). */
enum {
    CD_FAULT_BAD_READ = 1,       /* load from unmapped memory: precise bus fault */
    CD_FAULT_BAD_WRITE = 2,      /* store to unmapped memory: bus fault (imprecise on hardware) */
    CD_FAULT_UNDEF = 3,          /* undefined instruction */
    CD_FAULT_DIV0 = 4,           /* integer divide by zero, DIV_0_TRP on */
    CD_FAULT_UNALIGNED = 5,      /* unaligned word load, UNALIGN_TRP on */
    CD_FAULT_BAD_BRANCH = 6,     /* BX to an address with bit 0 clear (no Thumb) */
    CD_FAULT_STACK_OVERFLOW = 7, /* runaway recursion off the end of the stack */
    CD_FAULT_BUGCHECK = 8,       /* cd_bugcheck() with known code and parameters */
    CD_FAULT_NMI = 9,            /* NMI pended by software */
    CD_FAULT_TRIAGE_UNMAPPED = 10, /* fault-time triage callback adds an unmapped range */
    CD_FAULT_WATCHDOG = 11,      /* cd_watchdog_warning() from an interrupt */
    CD_FAULT_NESTED = 12,        /* a fault inside the fault path (triage callback faults) */
};

typedef struct {
    uint32_t kind;            /* CD_FAULT_* */
} cd_wire_fault_t;

/* ---------------------------------------------------------------- rings */

#define CD_RING_MAGIC 0x47524443u  /* "CDRG" */
#define CD_RING_VERSION 1u
#define CD_SLOT_HDR_LEN 4u         /* u16 len, u16 reserved, then the item bytes */

/* Slot stride for a given item size: header plus the item rounded up to 4 bytes. */
#define CD_RING_STRIDE(item_size) (CD_SLOT_HDR_LEN + (((uint32_t)(item_size) + 3u) & ~3u))

/*
 * A ring as it lies in .noinit RAM and in a dump: this header, then `count`
 * slots of `stride` bytes. The first part is fixed at creation and covered by
 * hdr_crc; the cursors change on every write and are checked for consistency
 * instead (idx < count, and == head % count when count is a power of two) at
 * boot. tail may lag head by any amount modulo 2^32 (writes never move it);
 * the items held are the last min(head - tail, count) before head.
 * Item with sequence s (head - count <= s < head, s >= tail) is in slot
 * (idx + count - (head - s)) % count. Sequence arithmetic is modulo 2^32.
 */
typedef struct {
    uint32_t magic;           /* CD_RING_MAGIC */
    uint16_t version;         /* CD_RING_VERSION */
    uint16_t item_size;       /* largest item, bytes */
    uint32_t count;           /* slots */
    uint32_t stride;          /* CD_RING_STRIDE(item_size) */
    cd_guid_t guid;
    char label[CD_LABEL_LEN];
    uint32_t hdr_crc;         /* CRC-32 of the 48 bytes above */
    uint32_t head;            /* sequence number of the next write */
    uint32_t tail;            /* oldest unread; may lag head - count until a read catches up */
    uint32_t lost;            /* overwritten-before-read count folded in by reads */
    uint32_t idx;             /* slot the next write goes to */
} cd_ring_hdr_t;

#define CD_RING_HDR_CRC_LEN 48u


/* ---------------------------------------------------------------- crash dumps */

/*
 * A dump slot in flash (docs/dump-format.md): the header at offset 0, then
 * sections, each a cd_dump_section_t followed by `len` data bytes padded with
 * zeros to a multiple of 4. The header is programmed LAST: it is the commit
 * record. A slot is valid only if magic, version, hdr_len, hdr_crc and body_crc
 * all match; anything else (erased, torn, foreign) is not a dump.
 */
#define CD_DUMP_MAGIC 0x504D4443u  /* "CDMP" */
#define CD_DUMP_VERSION 1u

/* cd_dump_hdr_t.reason */
enum {
    CD_REASON_FAULT = 1,     /* hardware exception; code = exception number */
    CD_REASON_BUGCHECK = 2,  /* cd_bugcheck(); code and params are the caller's */
    CD_REASON_WATCHDOG = 3,  /* cd_watchdog_warning() from an early-warning IRQ */
};

/* cd_dump_hdr_t.flags */
#define CD_DUMP_F_TRUNCATED (1u << 0)   /* sections were cut: the slot was too small */
#define CD_DUMP_F_NESTED (1u << 1)      /* a fault hit inside the fault path; see stage */
#define CD_DUMP_F_BAD_SP (1u << 2)      /* faulting SP was unusable: no stacked frame */
#define CD_DUMP_F_FPU (1u << 3)         /* an FPU section is present */

/* cd_dump_hdr_t.arch */
enum { CD_ARCH_V6M = 1, CD_ARCH_V7M = 2, CD_ARCH_V7EM = 3, CD_ARCH_V8MBASE = 4, CD_ARCH_V8MMAIN = 5 };

typedef struct {
    uint32_t magic;           /* CD_DUMP_MAGIC */
    uint16_t version;         /* CD_DUMP_VERSION */
    uint16_t hdr_len;         /* sizeof(cd_dump_hdr_t) */
    uint32_t total_len;       /* header + all sections, bytes */
    uint32_t body_crc;        /* CRC-32 of bytes [hdr_len, total_len) */
    uint32_t crash_count;     /* crashes since storage was initialised, this one included */
    uint32_t boot_count;      /* the boot in which the crash happened */
    uint32_t reason;          /* CD_REASON_* */
    uint32_t code;            /* fault: exception number; bugcheck: caller's code */
    uint32_t param[4];        /* fault: CFSR, HFSR, fault address, PC; bugcheck: caller's */
    uint32_t flags;           /* CD_DUMP_F_* */
    uint32_t stage;           /* fault-path stage reached when a nested fault hit */
    uint32_t cpuid;           /* SCB->CPUID (0 where absent) */
    uint8_t arch;             /* CD_ARCH_* */
    uint8_t build_id_len;
    uint16_t n_sections;
    uint8_t build_id[CD_BUILD_ID_MAX];
    char component[CD_NAME_LEN];
    uint32_t reserved[2];
    uint32_t hdr_crc;         /* CRC-32 of the 124 bytes above */
} cd_dump_hdr_t;

#define CD_DUMP_HDR_CRC_LEN 124u

/* Section types. */
enum {
    CD_SEC_REGS = 1,        /* cd_dump_regs_t */
    CD_SEC_FAULT = 2,       /* cd_dump_fault_t */
    CD_SEC_FPU = 3,         /* cd_dump_fpu_t */
    CD_SEC_STACK = 4,       /* cd_dump_mem_t + bytes from SP upward */
    CD_SEC_RING = 5,        /* a ring verbatim: cd_ring_hdr_t + slots */
    CD_SEC_TRIAGE = 6,      /* cd_dump_mem_t + bytes of a triage range */
    CD_SEC_ADDITIONAL = 7,  /* cd_guid_t + the client's blob */
    CD_SEC_THREAD = 8,      /* cd_dump_thread_t + the top of the thread's stack */
};

/* cd_dump_section_t.flags */
#define CD_SEC_F_TRUNCATED (1u << 0)  /* data shorter than the source: slot full */
#define CD_SEC_F_SELF (1u << 1)       /* CD_SEC_RING: the self ring */
#define CD_SEC_F_INTERRUPTED (1u << 2) /* CD_SEC_STACK: the process stack (PSP) of the
                                          thread a handler-mode fault interrupted */

typedef struct {
    uint16_t type;            /* CD_SEC_* */
    uint16_t flags;           /* CD_SEC_F_* */
    uint32_t len;             /* data bytes that follow (before padding) */
    uint32_t crc;             /* CRC-32 of those bytes */
} cd_dump_section_t;

/* CD_SEC_RING data: this prefix, then the ring verbatim (cd_ring_hdr_t and
 * its slots). `addr` is where the ring lies in RAM, so a debugger serving the
 * dump (crashdump gdbserver) can show the ring's memory at its own address. */
typedef struct {
    uint32_t addr;            /* CPU address of the cd_ring_hdr_t */
    uint32_t reserved;        /* 0 */
} cd_dump_ring_t;

/* cd_dump_regs_t.valid bits: which registers hold captured values. */
#define CD_REGS_V_FRAME (1u << 0)     /* r0-r3, r12, lr, pc, xpsr from the stacked frame */
#define CD_REGS_V_CALLEE (1u << 1)    /* r4-r11 */
#define CD_REGS_V_SPECIAL (1u << 2)   /* msp, psp, control, primask, exc_return */
#define CD_REGS_V_BASEPRI (1u << 3)   /* basepri, faultmask (v7-M, v8-M mainline) */
#define CD_REGS_V_SPLIM (1u << 4)     /* msplim, psplim (v8-M) */

typedef struct {
    uint32_t r[13];           /* r0-r12 */
    uint32_t sp;              /* SP of the interrupted code, stacked frame undone */
    uint32_t lr;
    uint32_t pc;
    uint32_t xpsr;
    uint32_t msp;             /* at fault entry, before the switch to the fault stack */
    uint32_t psp;
    uint32_t exc_return;      /* 0 for a bugcheck (no exception frame) */
    uint32_t control;
    uint32_t primask;
    uint32_t basepri;
    uint32_t faultmask;
    uint32_t msplim;
    uint32_t psplim;
    uint32_t valid;           /* CD_REGS_V_* */
} cd_dump_regs_t;

/* Fault status registers (all 0 on v6-M and v8-M Baseline). sfsr/sfar: the
 * SecureFault status and address (SAU block, 0xE000EDE4/0xE000EDE8), captured
 * by firmware running Secure on v8-M Mainline with the Security Extension,
 * else 0; SFSR.SFARVALID (bit 6) says whether sfar holds an address. */
typedef struct {
    uint32_t cfsr, hfsr, dfsr, mmfar, bfar, afsr, shcsr, ccr;
    uint32_t sfsr, sfar;
} cd_dump_fault_t;

typedef struct {
    uint32_t s[32];
    uint32_t fpscr;
} cd_dump_fpu_t;

/* cd_dump_mem_t.status: CD_OK, or CD_E_TRIAGE_RANGE when the range could not
 * be read safely (then no bytes follow). */
typedef struct {
    uint32_t addr;
    uint32_t len;             /* bytes that follow */
    int32_t status;
    uint32_t reserved;
} cd_dump_mem_t;

/* CD_SEC_THREAD data: one registered thread (cd_thread_add()), then `len`
 * bytes of its stack from `addr`. The thread running at the crash comes first,
 * flagged CURRENT, with no bytes: its stack is the STACK section (or, for a
 * handler-mode fault, the INTERRUPTED one). */
#define CD_THREAD_F_CURRENT (1u << 0) /* the thread running at the crash */
#define CD_THREAD_F_SP_OUT (1u << 1)  /* sp outside [stack_lo, stack_hi): overflowed or stale */

/* Saved-context layouts (cd_dump_thread_t.context): the words a scheduler
 * pushed at a switched-out thread's saved SP, lowest address first, below the
 * hardware exception frame. The port's choice (CD_THREAD_CONTEXT). */
enum {
    CD_CTX_NONE = 0,
    CD_CTX_R4_R11_LR = 1,        /* r4-r11, EXC_RETURN; then s16-s31 if EXC_RETURN bit 4 is 0 */
    CD_CTX_R4_R11 = 2,           /* r4-r11; EXC_RETURN is 0xFFFFFFFD */
    CD_CTX_PSPLIM_LR_R4_R11 = 3, /* PSPLIM, EXC_RETURN, r4-r11; then s16-s31 as above */
};

typedef struct {
    uint32_t id;              /* as registered */
    char name[CD_LABEL_LEN];  /* NUL-padded */
    uint32_t stack_lo;        /* [stack_lo, stack_hi): the thread's stack */
    uint32_t stack_hi;
    uint32_t sp;              /* saved SP; for the current thread, its SP at the crash */
    uint32_t flags;           /* CD_THREAD_F_* */
    uint8_t context;          /* CD_CTX_* of the saved context at sp */
    uint8_t reserved[3];
    uint32_t addr;            /* the stack bytes that follow start here */
    uint32_t len;             /* bytes that follow */
} cd_dump_thread_t;

/* Crash record: a small CRC-protected note kept in .noinit, written before the
 * dump itself, so even a failed dump leaves the reason behind. */
#define CD_CRASH_MAGIC 0x52434443u  /* "CDCR" */

typedef struct {
    uint32_t magic;
    uint32_t crash_count;
    uint32_t consecutive;     /* crashes since the firmware last called cd_mark_healthy() */
    uint32_t reason, code;
    uint32_t pc, lr;
    uint32_t stage;           /* last fault-path stage reached */
    int32_t result;           /* status of the dump write (CD_OK, CD_E_NOSPACE, ...) */
    uint32_t slot;            /* slot written, 0xFFFFFFFF if none */
    uint32_t crc;             /* CRC-32 of the 40 bytes above */
} cd_crash_record_t;

/* Dump locator: where the dump slots are, for a debug probe that reads flash
 * without the firmware's help. The global `cd_dump_locator` (RAM, filled by
 * cd_init(); all zero before) is found through the ELF's symbol table; see
 * docs/dump-format.md "Finding the dumps without the firmware". */
#define CD_LOCATOR_MAGIC 0x434F4C43u /* "CLOC" */
#define CD_LOCATOR_SLOTS 8u          /* dump_len entries: the most slots a partition has */

typedef struct {
    uint32_t magic;           /* CD_LOCATOR_MAGIC */
    uint32_t partition_base;  /* CPU address of slot 0 */
    uint32_t slot_size;       /* bytes; slot i is at partition_base + i * slot_size */
    uint32_t n_slots;
    uint32_t erase_size;      /* flash erase unit, bytes */
    /* Per slot: 0 if the firmware knows it holds no dump and none is being
     * written; else the length of the dump there (set before the dump is
     * programmed, so a reader must still check the header and CRCs). */
    uint32_t dump_len[CD_LOCATOR_SLOTS];
    uint32_t crc;             /* CRC-32 of the 52 bytes above */
} cd_dump_locator_t;

/* ---------------------------------------------------------------- layout checks */

#if defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#include <stddef.h>
_Static_assert(sizeof(cd_guid_t) == 16, "guid");
_Static_assert(sizeof(cd_wire_info_t) == 112, "info");
_Static_assert(offsetof(cd_wire_info_t, self_guid) == 28, "info.self_guid");
_Static_assert(offsetof(cd_wire_info_t, build_id) == 60, "info.build_id");
_Static_assert(sizeof(cd_wire_create_t) == 40, "create");
_Static_assert(sizeof(cd_wire_source_t) == 52, "source");
_Static_assert(sizeof(cd_wire_read_t) == 20, "read");
_Static_assert(sizeof(cd_wire_capture_t) == 24, "capture");
_Static_assert(sizeof(cd_wire_items_t) == 16, "items");
_Static_assert(sizeof(cd_wire_range_t) == 8, "range");
_Static_assert(sizeof(cd_ring_hdr_t) == 68, "ring header");
_Static_assert(offsetof(cd_ring_hdr_t, hdr_crc) == CD_RING_HDR_CRC_LEN, "ring crc");
_Static_assert(sizeof(cd_dump_hdr_t) == 128, "dump header");
_Static_assert(offsetof(cd_dump_hdr_t, hdr_crc) == CD_DUMP_HDR_CRC_LEN, "dump header crc");
_Static_assert(sizeof(cd_dump_section_t) == 12, "section");
_Static_assert(sizeof(cd_dump_regs_t) == 108, "regs");
_Static_assert(sizeof(cd_dump_fault_t) == 40, "fault");
_Static_assert(sizeof(cd_dump_fpu_t) == 132, "fpu");
_Static_assert(sizeof(cd_dump_mem_t) == 16, "mem");
_Static_assert(sizeof(cd_dump_thread_t) == 48, "thread");
_Static_assert(sizeof(cd_crash_record_t) == 44, "crash record");
_Static_assert(sizeof(cd_wire_slot_t) == 28, "slot");
_Static_assert(sizeof(cd_wire_dump_status_t) == 60, "dump status");
_Static_assert(sizeof(cd_wire_dump_read_t) == 12, "dump read");
_Static_assert(sizeof(cd_wire_dump_erase_t) == 8, "dump erase");
#endif

#endif /* CD_FORMAT_H */
