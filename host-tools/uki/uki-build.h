/* SPDX-License-Identifier: MIT */
/* Building a UKI as a library call: what `keel uki build` does, for the
 * commands that make UKIs themselves (`keel install`). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "common/thin.h"

struct signer;
struct pcr_uki_options;

/* A profile of a multi-profile UKI (systemd 257): its .profile text and the
 * sections it overrides (NULL: the base's apply). */
#define UKI_BUILD_PROFILES_MAX 16
struct uki_build_profile {
        const char *text;                       /* .profile: ID=..., TITLE=... */
        const char *cmdline;                    /* final text (no @FILE), or NULL */
        const char *os_release;                 /* text, or NULL */
};

struct uki_build_request {
        const char *stub_path;                  /* required */
        const char *linux_path;                 /* required: the kernel (for a thin UKI: its content file) */
        const char *const *initrd_paths;        /* concatenated, each padded to 4 bytes */
        size_t n_initrds;
        const char *cmdline;                    /* final text (no @FILE), or NULL */
        const char *os_release;                 /* text, or NULL */
        const char *uname;                      /* NULL: from the kernel's setup header */
        const char *devicetree_path;            /* NULL, or a flattened device tree for .dtb */
        const char *microcode_path;             /* NULL, or an early-microcode cpio for .ucode */
        const char *roothash, *usrhash;         /* NULL or hex, as --roothash/--usrhash */
        const char *sign_key_path;              /* NULL: unsigned; a path or a pkcs11: URI */
        const char *sign_cert_path;
        /* Instead of the two paths: a key and certificate already loaded and
         * checked (signer_load()), for callers that build many UKIs. */
        const struct signer *signer;
        const char *pcrpkey_path;               /* as --pcrpkey / --pcr-private-key */
        const char *pcr_private_key_path;
        /* --pcr-banks, --sign-initrd-pcrs (NULL: ukify's defaults, all
         * banks and no initrd signature). */
        const struct pcr_uki_options *pcr_options;
        /* Thin UKI: when set, .tlinux (.tinitrd) carry these refs instead of
         * .linux (.initrd). linux_path (and the single initrd_paths[0]) must
         * then hold exactly the bytes the ref describes: they are checked
         * against it, read for .uname and for the PCR 11 prediction of
         * --pcr-private-key, and never copied into the UKI. */
        const struct thin_ref *thin_linux;
        const struct thin_ref *thin_initrd;
        /* Profiles, in order (0, 1, ...): each .profile follows the base
         * sections, with its own sections after it. None: no .profile. */
        const struct uki_build_profile *profiles;
        size_t n_profiles;
        const char *output_path;                /* written atomically (temporary, fsync, rename) */
};

/* Logs one line and returns -1 on failure; nothing is left at output_path
 * then (an existing file there is untouched). */
int uki_build(const struct uki_build_request *req);

/* keelx64.efi, keelaa64.efi (or another file keel ships) next to the keel binary, else in
 * ../lib/keel/ relative to it (the `make install` layout); NULL if neither. */
const char *keel_shipped_file(const char *name);
