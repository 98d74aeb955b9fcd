/* SPDX-License-Identifier: MIT */
/* The console= systemd-stub 262 adds when the command line chooses none
 * (common/console.h): not measured, as with systemd, since it follows from
 * the hardware the firmware reports, not from anything on the ESP. */
#pragma once

#include "../efi/efi.h"

/* Appends the words to *cmdline (NULL: none yet; replaced, the old string
 * freed) when it names no console and the machine has a serial or VirtIO
 * console; leaves it when the kernel would cut the result. */
EFI_STATUS stub_cmdline_append_console(CHAR16 **cmdline);
