/* SPDX-License-Identifier: MIT */
/* Entry points of the keel subcommands: each takes its own argv (argv[0] is
 * the subcommand's name) and returns the process exit status. */
#pragma once

int uki_build_main(int argc, char **argv);
int uki_inspect_main(int argc, char **argv);
int entries_main(int argc, char **argv);
int compare_versions_main(int argc, char **argv);
int bless_main(int argc, char **argv);
