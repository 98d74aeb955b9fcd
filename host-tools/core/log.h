/* SPDX-License-Identifier: MIT */
#pragma once

/* One line on stderr, prefixed "keel: ". Returns -1 so callers can write
 * `return log_error(...)`. */
int log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same, with ": <strerror(errno_value)>" appended. */
int log_errno(int errno_value, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void log_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
