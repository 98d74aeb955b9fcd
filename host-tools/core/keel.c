/* SPDX-License-Identifier: MIT */
/* keel: the host CLI. Each command lives in its own file; this one only
 * dispatches. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "host-tools/core/commands.h"
#include "host-tools/core/log.h"

struct command {
        const char *group;  /* "uki" for "keel uki build", NULL for top-level commands */
        const char *name;
        int (*run)(int argc, char **argv);
        const char *summary;
};

static const struct command commands[] = {
        { "uki", "build", uki_build_main, "pack a kernel, initrds and metadata into a UKI" },
        { "uki", "inspect", uki_inspect_main, "list a UKI's sections, command line and os-release" },
        { "addon", "build", addon_build_main, "make a UKI addon: extra command line, device tree, microcode, initrd" },
        { NULL, "sign", sign_main, "add an Authenticode signature to a UEFI image" },
        { NULL, "verify", verify_main, "check a UEFI image's Authenticode signature against a certificate" },
        { "keys", "create", keys_create_main, "create Secure Boot PK, KEK and db keys and their .esl/.auth" },
        { "verity", "format", verity_format_main, "write a dm-verity hash tree (as veritysetup format)" },
        { "verity", "verify", verity_verify_main, "check data and hash tree against a root hash" },
        { NULL, "image", image_main, "build a GPT disk image: ESP, verity-protected root and its hash" },
        { "pcr", "predict", pcr_predict_main, "print PCR 11 of a UKI as systemd-measure calculate does" },
        { "pcr", "sign", pcr_sign_main, "sign PCR 11 of a UKI for systemd-cryptenroll --tpm2-public-key" },
        { NULL, "entries", entries_main, "list boot entries in the loader's order, with its default" },
        { NULL, "compare-versions", compare_versions_main, "compare two versions as the loader orders them" },
        { NULL, "bless", bless_main, "mark the current boot good or bad (boot counting)" },
        { "sysupdate", "source", sysupdate_source_main, "publish a version for systemd-sysupdate: root, verity, UKI, SHA256SUMS" },
        { "sysupdate", "definitions", sysupdate_definitions_main, "write the sysupdate.d transfers and the blessed-boot drop-in" },
        { NULL, "install", install_main, "install NixOS generations onto the ESP as signed, counted UKIs" },
};

static void usage(FILE *f) {
        fprintf(f, "Usage: keel COMMAND ...\nCommands:\n");
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                char name[64];
                snprintf(name, sizeof(name), "%s%s%s", commands[i].group ? commands[i].group : "",
                         commands[i].group ? " " : "", commands[i].name);
                fprintf(f, "  %-22s %s\n", name, commands[i].summary);
        }
        fprintf(f, "  %-22s %s\n", "version", "print keel's version");
        fprintf(f, "Run 'keel COMMAND --help' for a command's options.\n");
}

int main(int argc, char **argv) {
        bool group_known = false;

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
        for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
                const struct command *c = &commands[i];
                if (!c->group) {
                        if (strcmp(argv[1], c->name) == 0)
                                return c->run(argc - 1, argv + 1);
                        continue;
                }
                if (strcmp(argv[1], c->group) != 0)
                        continue;
                group_known = true;
                if (argc >= 3 && strcmp(argv[2], c->name) == 0)
                        return c->run(argc - 2, argv + 2);
        }
        if (group_known)
                log_error("%s: unknown or missing subcommand (try 'keel --help')", argv[1]);
        else
                log_error("unknown command '%s' (try 'keel --help')", argv[1]);
        return 1;
}
