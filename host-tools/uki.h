/* SPDX-License-Identifier: MIT */
#pragma once

int uki_build_main(int argc, char **argv);
int uki_inspect_main(int argc, char **argv);
