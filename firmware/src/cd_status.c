/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Status code names, generated from the one table in cd_status.h so the two
 * can never disagree.
 */
#include "crashdump/cd_status.h"

const char *cd_status_str(int status)
{
    switch (status) {
#define CD_X_STR(name, value, msg) \
    case (value):                  \
        return (msg);
        CD_STATUS_LIST(CD_X_STR)
#undef CD_X_STR
    default:
        return "unknown status";
    }
}
