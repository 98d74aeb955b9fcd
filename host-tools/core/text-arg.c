/* SPDX-License-Identifier: MIT */
#include <stdlib.h>
#include <string.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/core/text-arg.h"

#define TEXT_ARG_MAX_FILE (16u * 1024 * 1024)

int text_arg_load(const char *option, const char *value, char **ret, size_t *ret_size) {
        if (value[0] == '@') {
                uint8_t *data;
                size_t size;
                if (read_file(value + 1, TEXT_ARG_MAX_FILE, &data, &size) < 0)
                        return -1;
                if (memchr(data, 0, size)) {
                        free(data);
                        return log_error("%s: %s contains a NUL byte", option, value + 1);
                }
                *ret = (char *) data;
                *ret_size = size;
                return 0;
        }
        *ret = strdup(value);
        if (!*ret)
                return log_error("out of memory");
        *ret_size = strlen(value);
        return 0;
}

size_t fold_line_breaks(char *s, size_t len) {
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                if (s[i] == '\r' && i + 1 < len && s[i + 1] == '\n')
                        continue; /* the LF that follows becomes the space */
                s[o++] = s[i] == '\n' ? ' ' : s[i];
        }
        if (o < len)
                s[o] = '\0';
        return o;
}

size_t strip_trailing_whitespace(char *s, size_t len) {
        while (len > 0 && strchr(" \t\r\n", s[len - 1]))
                s[--len] = '\0';
        return len;
}
