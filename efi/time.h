/* SPDX-License-Identifier: MIT */
#pragma once

#include "efi.h"

/* Microseconds since the CPU's time-stamp counter started (about power-on),
 * the clock the Boot Loader Interface's LoaderTime*USec use. 0 when the
 * counter cannot be calibrated. */
uint64_t time_usec(void);
