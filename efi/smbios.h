/* SPDX-License-Identifier: MIT */
/* SMBIOS type 11 OEM strings from the firmware's SMBIOS tables (the
 * SMBIOS3 configuration table, else the 2.1 one), as systemd-stub and
 * systemd-boot read them. The parsing is common/smbios.c. */
#pragma once

#include "efi.h"

/* The value of the first OEM string starting with prefix (e.g.
 * "io.systemd.stub.kernel-cmdline-extra="), as a fresh UTF-16 string
 * (caller frees), or NULL when there is none. A malformed table gives NULL
 * and one console line. */
CHAR16 *smbios_oem_string(const char *prefix);
