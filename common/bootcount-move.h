/* SPDX-License-Identifier: MIT */
/* Counting a boot try where the firmware cannot rename (U-Boot's FAT
 * returns EFI_ACCESS_DENIED for any rename): the loader copies the entry
 * file to its next counted name and deletes the old file, so the name on
 * the ESP is still all that systemd-bless-boot and `keel bless` see. A crash
 * between the two steps would leave two files of one entry, the new one
 * perhaps half written; so before copying, the loader writes a record into
 * the entry's directory naming both files, and removes it last. On the next
 * boot a record left behind is undone: if the old file is still there the
 * copy may be incomplete and is deleted (the try was never booted);
 * otherwise the move had finished. The record is ESP bytes like any other:
 * it may only name two counted files of one entry in its own directory. */
#pragma once

#include "strutil.h"

#define BOOTCOUNT_MOVE_RECORD_NAME "keel-bootcount-move"
#define BOOTCOUNT_MOVE_RECORD_MAX 600 /* the header and two names of at most 255 bytes */
#define BOOTCOUNT_MOVE_NAME_MAX 255   /* FAT's longest file name */

struct bootcount_move {
        struct slice from; /* the counted file being replaced */
        struct slice to;   /* its copy under the next counted name */
};

/* The record for moving from to to (two names of one counted entry):
 * "keel-bootcount-move 1\nFROM\nTO\n" in out; its length in *ret_len. */
int bootcount_move_format(const char *from, const char *to, char *out, size_t out_size, size_t *ret_len);

/* Parses and checks a record read from the ESP: KEEL_E_BOOTCOUNT_MOVE_MALFORMED
 * when it is not three lines as above, KEEL_E_BOOTCOUNT_MOVE_BAD_NAME when a
 * name is empty, too long, a path or has control characters,
 * KEEL_E_BOOTCOUNT_MOVE_NOT_ONE_ENTRY unless both carry a counter and differ
 * only in it. The slices point into buf. */
int bootcount_move_parse(const void *buf, size_t len, struct bootcount_move *ret);
