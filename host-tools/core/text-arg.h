/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* An option value given as TEXT or as @FILE (the file's contents). Returns a
 * malloc'd, NUL-terminated copy; logs and returns -1 on failure. */
int text_arg_load(const char *option, const char *value, char **ret, size_t *ret_size);

/* Replaces each line break (LF, or CR LF) with one space, in place, and
 * returns the new length. For a command line: Linux's EFI stub stops at the
 * first newline, so the lines after it would be measured and signed but
 * never reach the kernel; a file with one option per line means them all. */
size_t fold_line_breaks(char *s, size_t len);

/* Removes trailing spaces, tabs and newlines in place; returns the new length. */
size_t strip_trailing_whitespace(char *s, size_t len);
