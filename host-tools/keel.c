/* SPDX-License-Identifier: MIT */
/* keel: the host CLI. Each command lives in its own file; this one only
 * dispatches. */
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "uki.h"

static void usage(FILE *f) {
        fprintf(f, "Usage: keel COMMAND ...\n"
                   "Commands:\n"
                   "  uki build      pack a kernel, initrds and metadata into a UKI\n"
                   "  uki inspect    list a UKI's sections, command line and os-release\n"
                   "  version        print keel's version\n"
                   "Run 'keel COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv) {
        if (argc < 2) {
                usage(stderr);
                return 1;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "help") == 0) {
                usage(stdout);
                return 0;
        }
        if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
                printf("keel %s\n", KEEL_VERSION);
                return 0;
        }
        if (strcmp(argv[1], "uki") == 0) {
                if (argc >= 3 && strcmp(argv[2], "build") == 0)
                        return uki_build_main(argc - 2, argv + 2);
                if (argc >= 3 && strcmp(argv[2], "inspect") == 0)
                        return uki_inspect_main(argc - 2, argv + 2);
                log_error("uki: expected 'build' or 'inspect'");
                return 1;
        }
        log_error("unknown command '%s' (try 'keel --help')", argv[1]);
        return 1;
}
