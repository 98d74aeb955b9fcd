/* SPDX-License-Identifier: MIT */
/* Boot counting in file names (Boot Loader Specification, automatic boot
 * assessment): "NAME+LEFT[-DONE].EXT". Parsed exactly as bootctl 252 does:
 * the counter is the last '+' before the last '.', LEFT and DONE are plain
 * decimal numbers (leading zeros allowed) up to INT_MAX; anything else
 * means the name has no counter. */
#pragma once

#include "strutil.h"

#define BOOTCOUNT_UNKNOWN (-1)
#define BOOTCOUNT_MAX 2147483647 /* INT_MAX, the limit bootctl and systemd-boot use */
/* Longest suffix "+LEFT-DONE": two 10-digit numbers and two separators. */
#define BOOTCOUNT_SUFFIX_MAX 22

struct bootcount_name {
        struct slice stem;     /* the name before '+', or the whole name without extension */
        struct slice extension; /* from the last '.' on, e.g. ".conf"; empty when there is none */
        int64_t tries_left;     /* BOOTCOUNT_UNKNOWN when the name has no counter */
        int64_t tries_done;     /* BOOTCOUNT_UNKNOWN when absent */
};

/* KEEL_E_BOOTCOUNT_OUT_OF_RANGE when a counter exceeds INT_MAX (bootctl
 * refuses such entries). */
int bootcount_parse(struct slice filename, struct bootcount_name *ret);

/* The entry ID: the file name with the counter removed. Writes at most
 * out_size bytes including the NUL; false when it does not fit. */
bool bootcount_id(const struct bootcount_name *n, char *out, size_t out_size);

/* The name to rename to before booting: LEFT-1 (not below 0) and DONE+1.
 * False for a name without a counter or when out is too small. */
bool bootcount_next_name(const struct bootcount_name *n, char *out, size_t out_size);

/* How many names keel tries when the name to rename to exists already. */
#define BOOTCOUNT_PICK_MAX 16

/* Whether a file of this name exists in the entry file's directory. */
typedef bool (*bootcount_taken_fn)(void *userdata, const char *name);

/* The name to rename an entry file to before booting it, where another file
 * may have that name already (a leftover of an earlier try, a copy): the
 * next name (bootcount_next_name), else the first free one of LEFT-k
 * (not below 0) and DONE+k (not above INT_MAX) for k = 2, 3, ...
 * BOOTCOUNT_PICK_MAX; *ret_tries is the k taken: each name passed over
 * counts as one more failed try. 0 when the counter cannot move any more
 * (0 left, DONE at INT_MAX): there is nothing to rename. Returns
 * KEEL_E_BOOTCOUNT_NO_FREE_NAME when every name is taken,
 * KEEL_E_VALUE_TOO_LONG when out is too small, KEEL_E_INVALID_ARGUMENT for
 * a name without a counter. */
int bootcount_pick_next_name(const struct bootcount_name *n, bootcount_taken_fn taken, void *userdata, char *out,
                             size_t out_size, unsigned *ret_tries);

/* An image's path with the boot counter removed from its file name (what
 * follows the last '\\'), as the entry ID drops it: systemd-stub 257+ and
 * keel look for "NAME.efi.extra.d" beside "NAME+2-1.efi", so the files
 * beside a counted UKI stay the same through its tries and once blessed.
 * path holds len UTF-16 units and is changed in place; returns its new
 * length (len when the name has no counter). Units outside ASCII are part
 * of the name as any letter is. */
size_t bootcount_strip_path16(uint16_t *path, size_t len);

/* The name after `keel bless good` (counter removed), `bad` (LEFT set to 0,
 * DONE kept) — helpers for the host tools. */
bool bootcount_format(struct slice stem, int64_t tries_left, int64_t tries_done, struct slice extension, char *out,
                      size_t out_size);
