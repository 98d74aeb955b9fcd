/* SPDX-License-Identifier: MIT */
/* libFuzzer target for keel install's record of its extra files,
 * \EFI\keel\extra-files (host-tools/install/extra-manifest.c), as an
 * attacker of the ESP may write it. Promises checked: parsing never reads
 * past the input; every record is a path keel may have written (relative,
 * no "." or ".." component, no backslash or control character, not one of
 * keel's own files), NUL-free and within EXTRA_PATH_MAX; no record is
 * there twice; what the records format to parses back to the same
 * records. The input's first line is also tried as an --extra-file
 * destination and an --extra-entry name: accepted ones obey the same. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tests/fuzz/fuzz-host.h"
#include "host-tools/install/extra-manifest.h"

#define MAX_RECORDS 64

static void check_path(const char *path) {
        size_t len = strlen(path), start = 0;

        check(len > 0 && len <= EXTRA_PATH_MAX);
        check(path[0] != '/');
        check(!strchr(path, '\\'));
        for (size_t i = 0; i <= len; i++) {
                if (i < len)
                        check((unsigned char) path[i] >= 0x20 && path[i] != 0x7f);
                if (i == len || path[i] == '/') {
                        check(i > start);
                        check(!(i - start == 1 && path[start] == '.'));
                        check(!(i - start == 2 && path[start] == '.' && path[start + 1] == '.'));
                        start = i + 1;
                }
        }
        check(strncasecmp(path, "EFI/keel/", 9) != 0);
        check(strcasecmp(path, "loader/loader.conf") != 0);
        check(strncasecmp(path, "EFI/BOOT/BOOT", 13) != 0 || strchr(path + 9, '/') ||
              strcasecmp(path + len - 4, ".efi") != 0);
        check(strncasecmp(path, "EFI/Linux/nixos-generation-", 27) != 0 || !extra_file_path_problem(path));
}

static bool contains(const struct extra_record *list, size_t n, const struct extra_record *r) {
        for (size_t i = 0; i < n; i++)
                if (extra_same_path(list[i].path, r->path) && memcmp(list[i].sha256, r->sha256, 32) == 0)
                        return true;
        return false;
}

static void check_first_line(const uint8_t *data, size_t size) {
        const uint8_t *nl = memchr(data, '\n', size);
        size_t len = nl ? (size_t) (nl - data) : size;
        char *line = malloc(len + 1);

        if (!line)
                return;
        memcpy(line, data, len);
        line[len] = '\0';
        if (!extra_file_path_problem(line)) {
                check_path(line);
                check(strncasecmp(line, "loader/entries/", 15) != 0);
        }
        if (!extra_entry_name_problem(line)) {
                check(!strchr(line, '/') && line[0] != '.');
                check(strlen(line) > 5 && strcasecmp(line + strlen(line) - 5, ".conf") == 0);
        }
        free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct extra_record *records = calloc(MAX_RECORDS, sizeof(*records));
        struct extra_record *again = calloc(MAX_RECORDS, sizeof(*again));
        size_t n, n_again, text_len;
        char *text;

        if (!records || !again)
                goto out;
        check_first_line(data, size);
        n = extra_manifest_parse(data, size, records, MAX_RECORDS, NULL, NULL);
        check(n <= MAX_RECORDS);
        for (size_t i = 0; i < n; i++) {
                check(memchr(records[i].path, '\0', sizeof(records[i].path)));
                check_path(records[i].path);
                check(extra_recorded_path_ok(records[i].path));
                check(!contains(records, i, &records[i]));
        }
        check(extra_manifest_format(records, n, &text, &text_len) == 0);
        check(strlen(text) == text_len);
        n_again = extra_manifest_parse(text, text_len, again, MAX_RECORDS, NULL, NULL);
        check(n_again == n);
        for (size_t i = 0; i < n; i++)
                check(contains(records, n, &again[i]) && contains(again, n_again, &records[i]));
        free(text);
out:
        free(records);
        free(again);
        return 0;
}
