/* SPDX-License-Identifier: MIT */
/* keel compare-versions A B: the loader's version ordering, printed like
 * `systemd-analyze compare-versions`. */
#include <stdio.h>
#include <string.h>

#include "host-tools/core/commands.h"
#include "host-tools/core/log.h"
#include "common/version.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: keel compare-versions [--] VERSION-A VERSION-B\n"
                   "Compares two versions as the keel loader orders its entries (the UAPI Version Format\n"
                   "Specification, as systemd-analyze compare-versions) and prints 'A < B', 'A == B' or\n"
                   "'A > B'. Use -- before versions that start with '-'.\n");
}

int compare_versions_main(int argc, char **argv) {
        int r;

        if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
                usage(stdout);
                return 0;
        }
        if (argc > 1 && strcmp(argv[1], "--") == 0) {
                argc--;
                argv++;
        }
        if (argc != 3)
                return log_error("compare-versions: expected two versions"), 1;
        r = version_compare(slice_from_cstr(argv[1]), slice_from_cstr(argv[2]));
        printf("%s %s %s\n", argv[1], r < 0 ? "<" : r > 0 ? ">" : "==", argv[2]);
        return 0;
}
