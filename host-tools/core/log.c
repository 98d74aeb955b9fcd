/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "host-tools/core/log.h"

static void vlog(const char *prefix, const char *fmt, va_list ap, const char *suffix) {
        fprintf(stderr, "keel: %s", prefix);
        vfprintf(stderr, fmt, ap);
        if (suffix)
                fprintf(stderr, ": %s", suffix);
        fputc('\n', stderr);
}

int log_error(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog("", fmt, ap, NULL);
        va_end(ap);
        return -1;
}

int log_errno(int errno_value, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog("", fmt, ap, strerror(errno_value));
        va_end(ap);
        return -1;
}

void log_warning(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        vlog("warning: ", fmt, ap, NULL);
        va_end(ap);
}
