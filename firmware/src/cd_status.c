/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Status code names, generated from the one table in cd_status.h so the two
 * can never disagree. The host has the same names (host/crashdump/status.py);
 * a device that never prints them does not link this at all.
 *
 * One packed string of NUL-separated messages and a byte per value, walked in
 * step: smaller than a switch over 20 cases with a pointer per message.
 */
#include <stdint.h>

#include "crashdump/cd_status.h"

#define CD_X_VALUE(name, value, msg) (value),
#define CD_X_MSG(name, value, msg) msg "\0"

#define CD_X_FITS(name, value, msg) _Static_assert((value) >= INT8_MIN && (value) <= INT8_MAX, #name);
CD_STATUS_LIST(CD_X_FITS)

static const int8_t s_values[] = {CD_STATUS_LIST(CD_X_VALUE)};
static const char s_msgs[] = CD_STATUS_LIST(CD_X_MSG) "unknown status";

const char *cd_status_str(int status)
{
    const char *m = s_msgs;
    for (unsigned i = 0; i < sizeof s_values && s_values[i] != status; i++) {
        while (*m++ != '\0') {
        }
    }
    return m;
}
