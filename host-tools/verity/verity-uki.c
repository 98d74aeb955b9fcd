/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-tools/core/log.h"
#include "host-tools/verity/verity-uki.h"
#include "host-tools/verity/verity-util.h"

int verity_uki_option(struct verity_uki_options *o, int option, const char *value) {
        const char *name = option == VERITY_UKI_OPT_ROOTHASH ? "--roothash" : "--usrhash";
        char *slot = option == VERITY_UKI_OPT_ROOTHASH ? o->roothash : o->usrhash;
        uint8_t bytes[VERITY_DIGEST_MAX];
        size_t size;

        if (slot[0])
                return log_error("uki build: %s given twice", name);
        return verity_roothash_arg(name, value, bytes, &size, slot);
}

/* Does the command line have a word whose key is `key` (also quoted or with
 * the rd. prefix systemd accepts in the initrd)? */
static bool has_key(const char *cmdline, const char *key) {
        size_t key_len = strlen(key);

        for (const char *p = cmdline; *p;) {
                const char *w;
                while (*p && isspace((unsigned char) *p))
                        p++;
                w = p;
                while (*p && !isspace((unsigned char) *p))
                        p++;
                while (w < p && *w == '"')
                        w++;
                if ((size_t) (p - w) >= 3 && strncmp(w, "rd.", 3) == 0)
                        w += 3;
                if ((size_t) (p - w) >= key_len && strncmp(w, key, key_len) == 0 &&
                    (w + key_len == p || w[key_len] == '=' || w[key_len] == '"'))
                        return true;
        }
        return false;
}

int verity_uki_extend_cmdline(const struct verity_uki_options *o, char **cmdline, size_t *cmdline_size) {
        const char *old = *cmdline ? *cmdline : "";
        size_t size, n;
        char *text;

        if (!o->roothash[0] && !o->usrhash[0])
                return 0;
        if (o->roothash[0] && has_key(old, "roothash"))
                return log_error("uki build: --roothash given, but --cmdline already has a roothash= word");
        if (o->usrhash[0] && has_key(old, "usrhash"))
                return log_error("uki build: --usrhash given, but --cmdline already has a usrhash= word");

        size = strlen(old) + sizeof(" roothash=") + sizeof(o->roothash) + sizeof(" usrhash=") + sizeof(o->usrhash);
        text = malloc(size);
        if (!text)
                return log_error("out of memory");
        n = (size_t) snprintf(text, size, "%s", old);
        if (o->roothash[0])
                n += (size_t) snprintf(text + n, size - n, "%sroothash=%s", n ? " " : "", o->roothash);
        if (o->usrhash[0])
                n += (size_t) snprintf(text + n, size - n, "%susrhash=%s", n ? " " : "", o->usrhash);
        free(*cmdline);
        *cmdline = text;
        *cmdline_size = n;
        return 0;
}
