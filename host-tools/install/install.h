/* SPDX-License-Identifier: MIT */
/* keel install's options, as parsed from its command line. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "host-tools/pcr/pcr-sign.h"

struct install_options {
        const char *esp;
        const char *xbootldr;           /* NULL: entries go to the ESP */
        unsigned long configuration_limit; /* 0: keep all */
        unsigned long tries;            /* 0: no boot counter */
        const char *key, *cert;         /* paths or pkcs11: URIs */
        const char *keys_dir;           /* --keys-dir: sign with its db key (key and cert point there) */
        bool create_keys;               /* --create-keys: make the set in keys_dir when it has none */
        bool enroll_keys;               /* --enroll-keys: stage its .auth files in Setup Mode */
        const char **db_certs;          /* --enroll-db-cert: more certificates in the staged db */
        size_t n_db_certs;
        const char *pcr_private_key, *pcrpkey;
        struct pcr_uki_options pcr;     /* --pcr-banks, --sign-initrd-pcrs */
        bool layout_thin;
        const char *loader_conf;
        const char *sort_key;
        bool sort_key_given;            /* --sort-key beats a bootspec's own sortKey */
        bool booted;
        unsigned long booted_generation;
        const char *stub_path;
        const char *profiles_dir;       /* NULL: /nix/var/nix/profiles */
        bool json;
        bool no_boot_entry;             /* --no-boot-entry: leave the NVRAM alone */
        const char *offline_dir;        /* --prepare DIR / --join DIR: signed elsewhere */
        bool joining;                   /* --join */
        const char *const *generations;
        size_t n_generations;
};
