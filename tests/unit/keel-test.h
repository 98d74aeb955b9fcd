/* SPDX-License-Identifier: MIT */
/* Shared helpers for the cmocka unit tests. */
#pragma once

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "common/error.h"

/* Fails with the names and texts of both codes, not just their numbers. */
#define assert_keel(expr, expected)                                                                 \
        do {                                                                                        \
                int _r = (expr);                                                                    \
                if (_r != (expected))                                                               \
                        fail_msg("%s returned %d (%s), expected %s (%s)", #expr, _r, keel_strerror(_r), \
                                 #expected, keel_strerror(expected));                               \
        } while (0)

/* A copy of buf in a heap block of exactly len bytes, so that AddressSanitizer
 * reports any read past len. */
static inline uint8_t *exact_copy(const void *buf, size_t len) {
        uint8_t *p = malloc(len ? len : 1);
        if (!p)
                abort();
        if (len)
                memcpy(p, buf, len);
        return p;
}

/* Reads a whole file; returns NULL (and the test should skip) when it does
 * not exist. */
static inline uint8_t *slurp(const char *path, size_t *ret_size) {
        struct stat st;
        FILE *f;
        uint8_t *p;

        if (stat(path, &st) < 0 || !S_ISREG(st.st_mode))
                return NULL;
        f = fopen(path, "rb");
        if (!f)
                return NULL;
        p = malloc((size_t) st.st_size + 1);
        if (!p || fread(p, 1, (size_t) st.st_size, f) != (size_t) st.st_size) {
                fclose(f);
                free(p);
                return NULL;
        }
        fclose(f);
        *ret_size = (size_t) st.st_size;
        return p;
}
