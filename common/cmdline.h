/* SPDX-License-Identifier: MIT */
/* Which command line the stub hands to the kernel. */
#pragma once

#include "util.h"

enum cmdline_source {
        CMDLINE_SOURCE_NONE,   /* the kernel gets no command line */
        CMDLINE_SOURCE_UKI,    /* the UKI's own .cmdline */
        CMDLINE_SOURCE_LOADER, /* the LoadOptions the loader passed */
};

/* systemd-stub's rule: options from the loader win unless Secure Boot is on
 * and the UKI carries its own .cmdline. LoadOptions that do not start with a
 * printable UTF-16 character are firmware boot-option data, not a command
 * line (firmware passes such blobs to \EFI\BOOT\BOOTX64.EFI). */
enum cmdline_source cmdline_choose(bool secure_boot, size_t uki_cmdline_len, const void *load_options,
                                   size_t load_options_size);
