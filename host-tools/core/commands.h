/* SPDX-License-Identifier: MIT */
/* Entry points of the keel subcommands: each takes its own argv (argv[0] is
 * the subcommand's name) and returns the process exit status. */
#pragma once

int uki_build_main(int argc, char **argv);
int uki_inspect_main(int argc, char **argv);
int addon_build_main(int argc, char **argv);
int sign_main(int argc, char **argv);
int verify_main(int argc, char **argv);
int keys_create_main(int argc, char **argv);
int verity_format_main(int argc, char **argv);
int verity_verify_main(int argc, char **argv);
int image_main(int argc, char **argv);
int pcr_predict_main(int argc, char **argv);
int pcr_sign_main(int argc, char **argv);
int entries_main(int argc, char **argv);
int compare_versions_main(int argc, char **argv);
int bless_main(int argc, char **argv);
int install_main(int argc, char **argv);
int sysupdate_source_main(int argc, char **argv);
int sysupdate_definitions_main(int argc, char **argv);
