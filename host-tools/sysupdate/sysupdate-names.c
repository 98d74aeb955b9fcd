/* SPDX-License-Identifier: MIT */
#include <ctype.h>
#include <string.h>

#include "host-tools/core/log.h"
#include "host-tools/sysupdate/sysupdate-names.h"

static bool word_valid(const char *s, size_t max, const char *extra) {
        size_t n = strlen(s);

        if (n == 0 || n > max || !isalnum((unsigned char) s[0]))
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char) s[i]) && !strchr(extra, s[i]))
                        return false;
        return true;
}

int sysupdate_check_name(const char *command, const char *name) {
        if (!word_valid(name, SYSUPDATE_NAME_MAX, ".-"))
                return log_error("%s: --name '%s': expected up to %d letters, digits, '.' and '-' (no '_')", command,
                                 name, SYSUPDATE_NAME_MAX);
        return 0;
}

int sysupdate_check_version(const char *command, const char *version) {
        if (!word_valid(version, SYSUPDATE_VERSION_MAX, ".-~^"))
                return log_error("%s: --version '%s': expected up to %d letters, digits, '.', '-', '~' and '^' "
                                 "(no '_' or '+')",
                                 command, version, SYSUPDATE_VERSION_MAX);
        return 0;
}
