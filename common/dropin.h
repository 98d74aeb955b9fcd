/* SPDX-License-Identifier: MIT */
/* The freestanding half of efi/dropin.c: which file names of a drop-in
 * directory (\loader\credentials, <uki>.efi.extra.d, ...) are taken, and
 * their stable order. The rules are systemd-stub's (pack_cpio() and
 * load_addons_from_dir()): names starting with '.' and names without the
 * suffix (case-insensitive), or with the excluded suffix, are not drop-ins
 * of this kind and are passed over without a word; of the others, names
 * that are not ASCII or longer than 255 characters (Linux's NAME_MAX) are
 * refused. keel also refuses a name holding '/' or '\' (a crafted file
 * system can have one; in a cpio archive it would be a path) or a control
 * character (no FAT long name has one). Names are
 * sorted by UTF-16 code units (systemd's strcmp16), so that what is
 * measured never depends on the firmware's directory order. */
#pragma once

#include "util.h"

/* Linux's NAME_MAX: the longest name systemd-stub takes. */
#define DROPIN_NAME_MAX 255u

enum dropin_verdict {
        DROPIN_TAKE,           /* a drop-in of this kind */
        DROPIN_OTHER,          /* hidden, another suffix, or excluded: not ours, no message */
        DROPIN_NOT_ASCII,      /* a character above U+007F */
        DROPIN_TOO_LONG,       /* more than DROPIN_NAME_MAX characters */
        DROPIN_SEPARATOR,      /* a '/' or '\' */
        DROPIN_CONTROL,        /* a control character (FAT allows none; it would drive the console) */
};

/* Judges name (at most max_units units are looked at; a name not
 * NUL-terminated within them is DROPIN_TOO_LONG). suffix and exclude_suffix
 * are NUL-terminated ASCII (exclude_suffix may be NULL). */
enum dropin_verdict dropin_check_name(const uint16_t *name, size_t max_units, const uint16_t *suffix,
                                      const uint16_t *exclude_suffix);

/* Why a name was refused, for the console line ("" for DROPIN_TAKE/OTHER). */
const char *dropin_verdict_text(enum dropin_verdict v);

/* Order of two NUL-terminated names: by UTF-16 code units, as strcmp. */
int dropin_name_compare(const uint16_t *a, const uint16_t *b);

/* Keeps names[0..*n) sorted and at most max long: inserts name in its place.
 * When the list was full, the name that sorts last of all (the new one or
 * the old last) drops out and is returned in *ret_dropped (else NULL), so
 * the names kept are the first max in sorted order, whatever order they
 * come in. Returns true when name was kept. */
bool dropin_keep_sorted(const uint16_t **names, size_t *n, size_t max, const uint16_t *name,
                        const uint16_t **ret_dropped);
