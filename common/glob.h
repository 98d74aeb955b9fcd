/* SPDX-License-Identifier: MIT */
/* Shell-style pattern matching for loader.conf `default` and
 * LoaderEntryDefault: `*`, `?`, `[...]` (ranges, `!`/`^` negation) and
 * backslash escapes, case-insensitive, like fnmatch(3) with FNM_CASEFOLD.
 * Runs in O(pattern * text) time with no recursion. */
#pragma once

#include "strutil.h"

bool glob_match(struct slice pattern, struct slice text);
