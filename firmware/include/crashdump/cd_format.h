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
};

/* Capability bits in cd_wire_info_t.caps. */
#define CD_CAP_SOURCES (1u << 0)   /* data source commands */
#define CD_CAP_TRIAGE (1u << 1)    /* triage list */
#define CD_CAP_RESET (1u << 2)     /* warm reset command */
#define CD_CAP_DUMP (1u << 3)      /* crash dump commands (dump status/read/erase) */
#define CD_CAP_FAULT_CMDS (1u << 4) /* test-only fault injection commands */

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
    uint8_t reserved[3];
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
 * instead (idx < count, tail <= head, head - tail bounded) at boot.
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
#endif

#endif /* CD_FORMAT_H */
