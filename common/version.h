/* SPDX-License-Identifier: MIT */
/* Version comparison by the UAPI Version Format Specification, the rules
 * systemd's strverscmp_improved() implements (`systemd-analyze
 * compare-versions` is the oracle): '~' sorts before everything (pre-release),
 * '-' separates version and release, '^' marks a patched release, '.' point
 * releases, digit runs compare numerically, letter runs lexically. */
#pragma once

#include "strutil.h"

/* <0, 0 or >0 as a is older than, equal to or newer than b. Empty strings
 * get no special case (as in systemd 252): "" < "1", but "" > "~1". */
int version_compare(struct slice a, struct slice b);
