/* SPDX-License-Identifier: MIT */
/* PCR 12 as keel's stub (and systemd-stub 257) leaves it after booting a UKI
 * with addons: `keel pcr predict --addon`. */
#pragma once

#include <stddef.h>

#include "host-tools/pcr/pcr.h"

/* PCR 12 from zero, for every bank in bank_mask, after a direct boot of the
 * UKI in uki_path (its profile profile, with its own command line: no loader
 * options, no SMBIOS extra, no credentials or configuration extensions)
 * with the addons in addon_paths, in the order the stub finds them
 * (\loader\addons\ sorted by name, then <uki>.efi.extra.d\ sorted): the
 * profile number (when not 0), the addons' joined command line, their
 * device trees, their microcode (in reverse), their initrds. An addon the
 * stub would skip (a UKI, another .uname, nothing to contribute, a
 * malformed file) is an error here: one line, -1. */
int pcr12_predict_addons(const char *uki_path, unsigned profile, const char *const *addon_paths, size_t n,
                         unsigned bank_mask, struct pcr_value ret[_PCR_BANK_MAX]);
