/* SPDX-License-Identifier: MIT */
/* keel uki build --roothash HEX / --usrhash HEX: binds a UKI to one root (or
 * /usr) file system by putting its dm-verity root hash into the signed
 * .cmdline, which PCR 11 then covers as systemd-measure predicts it. */
#pragma once

#include <stddef.h>

#include "common/verity.h"

/* getopt_long values, outside the range of option characters. */
#define VERITY_UKI_OPT_ROOTHASH 0x7601
#define VERITY_UKI_OPT_USRHASH 0x7602
#define VERITY_UKI_LONG_OPTIONS                                                  \
        { "roothash", required_argument, NULL, VERITY_UKI_OPT_ROOTHASH },        \
        { "usrhash", required_argument, NULL, VERITY_UKI_OPT_USRHASH }
#define VERITY_UKI_USAGE "[--roothash HEX] [--usrhash HEX]"

struct verity_uki_options {
        char roothash[2 * VERITY_DIGEST_MAX + 1]; /* lower-case hex, "" when not given */
        char usrhash[2 * VERITY_DIGEST_MAX + 1];
};

/* Checks one option's value (hex of a known digest size, given once). */
int verity_uki_option(struct verity_uki_options *o, int option, const char *value);

/* Appends "roothash=HEX" / "usrhash=HEX" to the command line (a malloc'd
 * string or NULL, replaced by a new one). A command line that already
 * names a root hash of the same kind is an error rather than a conflict the
 * stub would have to settle. */
int verity_uki_extend_cmdline(const struct verity_uki_options *o, char **cmdline, size_t *cmdline_size);
