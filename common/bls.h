/* SPDX-License-Identifier: MIT */
/* Boot Loader Specification Type #1 entry files (\loader\entries\*.conf).
 * The parsed entry points into the caller's buffer: keep it alive. */
#pragma once

#include "loader-conf.h"
#include "strutil.h"

#define BLS_MAX_INITRDS 32
#define BLS_MAX_OPTIONS 32
#define BLS_MAX_EXTRAS 32

struct bls_entry {
        struct slice title, version, machine_id, sort_key;
        struct slice linux_path, efi_path, devicetree, architecture;
        struct slice uki_path;                 /* `uki` (systemd 259): a UKI to start */
        struct slice uki_url;                  /* `uki-url` (systemd 259): keel boots nothing from the network */
        struct slice profile;                  /* `profile` (systemd 259): the UKI profile a `uki` entry boots */
        struct slice initrds[BLS_MAX_INITRDS];
        size_t n_initrds;
        struct slice options[BLS_MAX_OPTIONS]; /* joined with single spaces */
        size_t n_options;
        struct slice extras[BLS_MAX_EXTRAS];   /* `extra` (systemd 261): companion files of a `uki` entry */
        size_t n_extras;
        /* More than one of `linux`, `efi`, `uki`, `uki-url`: systemd-boot
         * takes such an entry for a broken one and hides it. */
        bool conflicting_kinds;
};

/* Parses an entry file. Unknown keys, keys without a value and repeats
 * beyond the limits are reported through warn and skipped; a later title,
 * version etc. replaces an earlier one, as in bootctl. */
void bls_entry_parse(struct bls_entry *e, const void *buf, size_t len, config_warn_fn warn, void *userdata);
