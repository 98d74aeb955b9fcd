/* SPDX-License-Identifier: MIT */
/* The firmware's SMBIOS tables (the SMBIOS3 configuration table, else the
 * 2.1 one), as systemd-stub and systemd-boot read them: type 11 OEM
 * strings, and the PCR 1 measurement of systemd 261+. The parsing is
 * common/smbios.c. */
#pragma once

#include "efi.h"

/* The value of the first OEM string starting with prefix (e.g.
 * "io.systemd.stub.kernel-cmdline-extra="), as a fresh UTF-16 string
 * (caller frees), or NULL when there is none. A malformed table gives NULL
 * and one console line. */
CHAR16 *smbios_oem_string(const char *prefix);

/* Measures every type 1 (wake-up type zeroed), type 2 and type 11 structure
 * into PCR 1, one EV_EVENT_TAG event each ("smbios:typeN"), and sets
 * LoaderPcrSMBIOS to "1" when anything was measured (systemd 261). Does
 * nothing when LoaderPcrSMBIOS is set already (a loader before this image
 * measured them) or there is no TPM: firmware may measure SMBIOS itself,
 * but many do not, and type 11 carries input for the OS. */
void smbios_measure(void);
