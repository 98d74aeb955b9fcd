/* SPDX-License-Identifier: MIT */
/* What systemd-stub hands the OS from beside the UKI, as data: per kind of
 * file, where it is found, where it lands in the initrd, its modes, the PCR
 * and the event description its archive is measured with, and keel's
 * limits (systemd-stub has none but memory: these keep a hostile ESP from
 * exhausting it). Shared by the stub (stub/sidecar.c) and its tests. */
#pragma once

#include "strutil.h"

enum sidecar_flag {
        SIDECAR_FLAG_PARAMETERS,  /* StubPcrKernelParameters */
        SIDECAR_FLAG_SYSEXTS,     /* StubPcrInitRDSysExts */
        SIDECAR_FLAG_CONFEXTS,    /* StubPcrInitRDConfExts */
};

struct sidecar_kind {
        const char *dir;             /* volume path with '\', NULL: the UKI's own <path>.extra.d */
        const char *suffix;          /* case-insensitive */
        const char *exclude_suffix;  /* NULL: none */
        const char *target;          /* directory in the initrd, no leading '/' */
        uint32_t dir_mode, file_mode;
        uint32_t pcr;
        const char *description;     /* the EV_IPL event's text */
        enum sidecar_flag flag;
        size_t max_file_size;        /* bytes */
        size_t max_files;            /* per directory */
};

/* Credentials: systemd refuses an encrypted credential over 1 MiB + 128 KiB
 * (CREDENTIAL_ENCRYPTED_SIZE_MAX), so a larger file is no credential. */
#define SIDECAR_CREDENTIAL_SIZE_MAX (1024u * 1024u + 128u * 1024u)
#define SIDECAR_CREDENTIALS_MAX 128u
/* Extension images: at most 32 per directory, 1 GiB each. */
#define SIDECAR_EXTENSION_SIZE_MAX (1024u * 1024u * 1024u)
#define SIDECAR_EXTENSIONS_MAX 32u
/* All files of all kinds together, in memory at once. */
#define SIDECAR_TOTAL_SIZE_MAX (UINT64_C(1) << 30)

/* In systemd-stub's order (generate_sidecar_initrds()): the archives are
 * measured and appended to the initrd in this order. */
#define SIDECAR_KINDS 6
extern const struct sidecar_kind sidecar_kinds[SIDECAR_KINDS];

/* Whether a file of size bytes can still be taken when used bytes of the
 * total are taken already (no overflow for any inputs). */
bool sidecar_size_fits(const struct sidecar_kind *k, uint64_t size, uint64_t used);

/* systemd-boot 261's companion files of a Type #1 `uki` entry (`extra`
 * lines): the loader packs them by kind (suffix) into one archive each,
 * measures it and offers it to the UKI as an initrd, which systemd-stub
 * (and keel's stub) merges into its own. In systemd-boot's order. */
#define ENTRY_EXTRA_KINDS 3
extern const struct sidecar_kind entry_extra_kinds[ENTRY_EXTRA_KINDS];

/* The longest file name keel packs (a file name on the ESP has at most 255). */
#define ENTRY_EXTRA_NAME_MAX 255

/* Whether name (with the kind's suffix) is one keel packs: more than the
 * suffix, at most ENTRY_EXTRA_NAME_MAX bytes, printable ASCII, no '/'.
 * entry_extra_classify() and the stub's check of companion archives
 * (common/companions.c) apply this one rule. */
bool entry_extra_name_is_valid(struct slice name, const char *suffix);

/* Which kind an `extra` path is (by its suffix, ignoring case) and the name
 * it gets in the archive (its last component). KEEL_E_EXTRA_UNKNOWN_KIND for
 * another suffix, KEEL_E_EXTRA_BAD_NAME for a name that is only the suffix, longer
 * than ENTRY_EXTRA_NAME_MAX or not printable ASCII. */
int entry_extra_classify(struct slice path, size_t *ret_kind, struct slice *ret_name);
