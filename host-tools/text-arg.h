/* SPDX-License-Identifier: MIT */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* An option value given as TEXT or as @FILE (the file's contents). Returns a
 * malloc'd, NUL-terminated copy; logs and returns -1 on failure. */
int text_arg_load(const char *option, const char *value, char **ret, size_t *ret_size);

/* Removes trailing spaces, tabs and newlines in place; returns the new length. */
size_t strip_trailing_whitespace(char *s, size_t len);
