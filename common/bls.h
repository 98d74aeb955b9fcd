/* SPDX-License-Identifier: MIT */
/* Boot Loader Specification Type #1 entry files (\loader\entries\*.conf).
 * The parsed entry points into the caller's buffer: keep it alive. */
#pragma once

#include "loader-conf.h"
#include "strutil.h"

#define BLS_MAX_INITRDS 32
#define BLS_MAX_OPTIONS 32

struct bls_entry {
        struct slice title, version, machine_id, sort_key;
        struct slice linux_path, efi_path, devicetree, architecture;
        struct slice initrds[BLS_MAX_INITRDS];
        size_t n_initrds;
        struct slice options[BLS_MAX_OPTIONS]; /* joined with single spaces */
        size_t n_options;
};

/* Parses an entry file. Unknown keys, keys without a value and repeats
 * beyond the limits are reported through warn and skipped; a later title,
 * version etc. replaces an earlier one, as in bootctl. */
void bls_entry_parse(struct bls_entry *e, const void *buf, size_t len, config_warn_fn warn, void *userdata);
