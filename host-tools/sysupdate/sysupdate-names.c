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

int sysupdate_check_label(const char *command, const char *name, const char *version) {
        size_t n = strlen(name) + 1 + strlen(version) + strlen("_verity");

        if (n > SYSUPDATE_LABEL_MAX)
                return log_error("%s: the verity partition's label %s_%s_verity would be %zu characters; GPT holds %d",
                                 command, name, version, n, SYSUPDATE_LABEL_MAX);
        return 0;
}

static size_t url_scheme_length(const char *url) {
        static const char *const schemes[] = { "https://", "http://", "file:///" };

        for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
                if (strncmp(url, schemes[i], strlen(schemes[i])) == 0)
                        return strlen(schemes[i]);
        return 0;
}

int sysupdate_url_escape(const char *command, const char *url, char ret[2 * SYSUPDATE_URL_MAX + 1]) {
        size_t n = 0, scheme;

        if (strlen(url) > SYSUPDATE_URL_MAX)
                return log_error("%s: --url is longer than %d bytes", command, SYSUPDATE_URL_MAX);
        /* Before the URL is ever printed: it may hold a line break. */
        for (const char *p = url; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f || *p == '\\' || *p == '"' || *p == '\'')
                        return log_error("%s: --url: space, control character, backslash or quote at byte %zu "
                                         "(write it as %%XX)",
                                         command, (size_t) (p - url));
        scheme = url_scheme_length(url);
        if (scheme == 0)
                return log_error("%s: --url %s: expected an http://, https:// or file:/// URL", command, url);
        for (const char *p = url; *p; p++) {
                if (*p == '%')
                        ret[n++] = '%';
                ret[n++] = *p;
        }
        while (n > 0 && ret[n - 1] == '/')
                n--;
        if (n <= scheme)
                return log_error("%s: --url %s: no host or path", command, url);
        ret[n] = '\0';
        return 0;
}
