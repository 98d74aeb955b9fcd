/* SPDX-License-Identifier: MIT */
#pragma once

#include "../efi/efi.h"

/* systemd-boot 258's system-failure check: the firmware's ESRT reports that
 * the last update of the system firmware failed. Then the volatile
 * LoaderSysFailReason says why (systemd-boot's string, typo included:
 * "firmware-updare-failure") and the caller lets LoaderEntrySysFail pick
 * the default entry. */
bool sysfail_check(void);
