/* SPDX-License-Identifier: Apache-2.0 */
/*
 * crashdump status codes: one enum shared by the firmware, the wire protocol
 * (a signed 16-bit status field in every response frame) and the host tool.
 *
 * Values are negative for errors so a function can return either a size or a
 * status, and they travel upward unchanged. The numeric values are part of the
 * wire protocol: never renumber, only append. The host keeps the same table,
 * and tests/host/test_format_sync.py fails if the two ever differ.
 */
#ifndef CD_STATUS_H
#define CD_STATUS_H

/* X(name, value, message): the message is what the host prints. */
#define CD_STATUS_LIST(X)                                                                 \
    X(CD_OK,                 0,   "ok")                                               \
    X(CD_E_INVAL,           -1,   "invalid argument")                                  \
    X(CD_E_MALFORMED,       -2,   "malformed request payload")                         \
    X(CD_E_UNKNOWN_CMD,     -3,   "unknown command")                                   \
    X(CD_E_UNKNOWN_SOURCE,  -4,   "unknown data source")                               \
    X(CD_E_SOURCE_LIMIT,    -5,   "data source limit reached")                         \
    X(CD_E_RING_TOO_LARGE,  -6,   "ring too large")                                    \
    X(CD_E_ITEM_TOO_LARGE,  -7,   "item too large")                                    \
    X(CD_E_GEOMETRY,        -8,   "source exists with a different geometry")           \
    X(CD_E_TRIAGE_FULL,     -9,   "triage table full")                                 \
    X(CD_E_TRIAGE_RANGE,    -10,  "range outside the memory map")                      \
    X(CD_E_NOT_FOUND,       -11,  "no such entry")                                     \
    X(CD_E_CONFIG,          -12,  "invalid configuration")                             \
    X(CD_E_NOSPACE,         -13,  "storage too small")                                 \
    X(CD_E_CORRUPT,         -14,  "corrupt data")                                      \
    X(CD_E_IO,              -15,  "device I/O error")                                  \
    X(CD_E_NO_DUMP,         -16,  "no dump stored")                                    \
    X(CD_E_UNSUPPORTED,     -17,  "not supported by this build")                       \
    X(CD_E_STATE,           -18,  "not allowed in the current state")                  \
    X(CD_E_EMPTY,           -19,  "ring is empty")                                    \
    X(CD_E_LIB_STATE,       -20,  "crashdump's own state was overwritten")

typedef enum {
#define CD_X_ENUM(name, value, msg) name = (value),
    CD_STATUS_LIST(CD_X_ENUM)
#undef CD_X_ENUM
} cd_status_t;

/* Returns a static string describing `status` ("unknown status" if not a member). */
const char *cd_status_str(int status);

#endif /* CD_STATUS_H */
