/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the NixOS bootspec reader
 * (host-tools/install/bootspec.c). Every input is
 *
 *   - a boot.json for bootspec_parse() (an exact heap copy, not
 *     NUL-terminated). A refusal leaves the result empty and gives one line
 *     of reason. An accepted document keeps every promise of bootspec.h, is
 *     accepted again with the same result, and its command line splits, by
 *     the kernel's own rules (Latin-1 isspace, double quotes), into exactly
 *     init=INIT and the kernelParams, for the generation and for each
 *     specialisation;
 *   - when short, a profile link name for bootspec_generation_number() under
 *     a directory that does not exist: a number it reads from a name is
 *     the one that prints back to that name.
 *
 * Nothing here touches the file system but realpath() of a path that does
 * not exist. */
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz-host.h"
#include "host-tools/install/bootspec.h"

#define NAME_INPUT_MAX 64

static bool kernel_space(unsigned char c) {
        /* lib/ctype.c: _S is set for \t..\r, ' ' and 0xa0. */
        return (c >= 0x09 && c <= 0x0d) || c == ' ' || c == 0xa0;
}

static bool utf8_ok(const char *str) {
        const unsigned char *s = (const unsigned char *) str;

        while (*s) {
                size_t n;
                uint32_t cp;

                if (*s < 0x80) {
                        s++;
                        continue;
                }
                if (*s >= 0xc2 && *s <= 0xdf)
                        n = 1, cp = *s & 0x1f;
                else if (*s >= 0xe0 && *s <= 0xef)
                        n = 2, cp = *s & 0x0f;
                else if (*s >= 0xf0 && *s <= 0xf4)
                        n = 3, cp = *s & 0x07;
                else
                        return false;
                for (size_t k = 1; k <= n; k++) {
                        if ((s[k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[k] & 0x3f);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                s += n + 1;
        }
        return true;
}

static void check_text(const char *s) {
        check(s && s[0] != '\0');
        check(utf8_ok(s));
        for (const char *p = s; *p; p++)
                check((unsigned char) *p >= 0x20 && *p != 0x7f);
}

static void check_path(const char *s) {
        check_text(s);
        check(s[0] == '/');
}

/* The kernel's parse_args()/next_arg() word boundaries: the command line
 * must split into exactly the words keel meant. */
static void check_kernel_split(const struct bootspec_config *c, const char *cmdline) {
        const char *p = cmdline;
        size_t words = 0;

        while (kernel_space((unsigned char) *p))
                p++;
        while (*p) {
                const char *start = p, *expect;
                bool in_quote = false;
                char init_word[4096];

                if (*p == '"') {
                        p++;
                        in_quote = true;
                }
                for (; *p; p++) {
                        if (kernel_space((unsigned char) *p) && !in_quote)
                                break;
                        if (*p == '"')
                                in_quote = !in_quote;
                }
                if (words == 0) {
                        check(snprintf(init_word, sizeof(init_word), "init=%s", c->init) < (int) sizeof(init_word));
                        expect = init_word;
                } else {
                        check(words - 1 < c->n_kernel_params);
                        expect = c->kernel_params[words - 1];
                }
                check((size_t) (p - start) == strlen(expect) && memcmp(start, expect, strlen(expect)) == 0);
                words++;
                if (*p)
                        p++;
                while (kernel_space((unsigned char) *p))
                        p++;
        }
        check(words == 1 + c->n_kernel_params);
}

static void check_config(const struct bootspec_config *c) {
        char *cmdline, *again;
        size_t len;

        check_text(c->system);
        check_text(c->label);
        check_path(c->init);
        check_path(c->kernel);
        check_path(c->toplevel);
        if (c->initrd)
                check_path(c->initrd);
        if (c->initrd_secrets)
                check_path(c->initrd_secrets);
        if (c->sort_key) {
                check(c->sort_key[0] != '\0');
                for (const char *p = c->sort_key; *p; p++)
                        check(strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-", *p));
        }
        check(c->kernel_params != NULL || c->n_kernel_params == 0);
        for (size_t i = 0; i < c->n_kernel_params; i++)
                check_text(c->kernel_params[i]);

        cmdline = bootspec_cmdline(c);
        check(cmdline != NULL);
        len = strlen(cmdline);
        check(strncmp(cmdline, "init=", 5) == 0 && len > 5 && cmdline[len - 1] != ' ');
        check(strstr(cmdline, "  ") == NULL);
        check_kernel_split(c, cmdline);
        again = bootspec_cmdline(c);
        check(again && strcmp(cmdline, again) == 0);
        free(again);
        free(cmdline);

        {
                const char *arch = bootspec_efi_arch(c->system);
                check(arch == NULL || (strcmp(arch, "x64") == 0 && strcmp(c->system, "x86_64-linux") == 0) ||
                      (strcmp(arch, "aa64") == 0 && strcmp(c->system, "aarch64-linux") == 0));
        }
}

static bool same_string(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool same_config(const struct bootspec_config *a, const struct bootspec_config *b) {
        if (!same_string(a->system, b->system) || !same_string(a->init, b->init) ||
            !same_string(a->initrd, b->initrd) || !same_string(a->initrd_secrets, b->initrd_secrets) ||
            !same_string(a->kernel, b->kernel) || !same_string(a->label, b->label) ||
            !same_string(a->toplevel, b->toplevel) || !same_string(a->sort_key, b->sort_key) ||
            a->n_kernel_params != b->n_kernel_params)
                return false;
        for (size_t i = 0; i < a->n_kernel_params; i++)
                if (strcmp(a->kernel_params[i], b->kernel_params[i]) != 0)
                        return false;
        return true;
}

static void fuzz_parse(const uint8_t *data, size_t size) {
        static const struct bootspec zero;
        struct bootspec b, again;
        char error[256], error2[256];
        char *copy = malloc(size ? size : 1);

        check(copy != NULL);
        if (size)
                memcpy(copy, data, size);
        error[0] = '\0';
        if (bootspec_parse(copy, size, &b, error, sizeof(error)) < 0) {
                check(memcmp(&b, &zero, sizeof(b)) == 0);
                check(error[0] != '\0' && strchr(error, '\n') == NULL && strchr(error, '\r') == NULL);
                /* The same reason the second time. */
                check(bootspec_parse(copy, size, &again, error2, sizeof(error2)) < 0);
                check(strcmp(error, error2) == 0);
                free(copy);
                return;
        }
        check(b.generation == 0);
        check_config(&b.config);
        check(b.n_specialisations == 0 || b.specialisations != NULL);
        for (size_t i = 0; i < b.n_specialisations; i++) {
                const char *name = b.specialisations[i].name;
                size_t n = strlen(name);

                check(n >= 1 && n <= BOOTSPEC_NAME_MAX && strcmp(name, ".") != 0 && strcmp(name, "..") != 0);
                check(strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n);
                /* Sorted, and no name twice. */
                if (i > 0)
                        check(strcmp(b.specialisations[i - 1].name, name) < 0);
                check_config(&b.specialisations[i].config);
        }

        check(bootspec_parse(copy, size, &again, error2, sizeof(error2)) == 0);
        check(same_config(&b.config, &again.config) && b.n_specialisations == again.n_specialisations);
        for (size_t i = 0; i < b.n_specialisations; i++)
                check(strcmp(b.specialisations[i].name, again.specialisations[i].name) == 0 &&
                      same_config(&b.specialisations[i].config, &again.specialisations[i].config));
        bootspec_free(&again);
        bootspec_free(&b);
        check(memcmp(&b, &zero, sizeof(b)) == 0);
        free(copy);
}

static void fuzz_name(const uint8_t *data, size_t size) {
        static const char dir[] = "/nonexistent-keel-fuzz-bootspec/";
        char path[sizeof(dir) + NAME_INPUT_MAX + 1], error[256], printed[64];
        const char *base;
        unsigned long n = 0;
        size_t len = strnlen((const char *) data, size);

        memcpy(path, dir, sizeof(dir) - 1);
        memcpy(path + sizeof(dir) - 1, data, len);
        path[sizeof(dir) - 1 + len] = '\0';
        error[0] = '\0';
        if (bootspec_generation_number(path, "/nonexistent-keel-fuzz-bootspec", &n, error, sizeof(error)) < 0) {
                check(error[0] != '\0');
                return;
        }
        /* Only a name can give a number here: nothing exists. */
        len = strlen(path);
        while (len > 1 && path[len - 1] == '/')
                path[--len] = '\0';
        base = strrchr(path, '/') + 1;
        check(n >= 1);
        snprintf(printed, sizeof(printed), "system-%lu-link", n);
        check(strcmp(base, printed) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        fuzz_parse(data, size);
        if (size <= NAME_INPUT_MAX)
                fuzz_name(data, size);
        return 0;
}
