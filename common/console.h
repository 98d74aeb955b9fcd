/* SPDX-License-Identifier: MIT */
/* The console= words systemd-stub 262 appends to a kernel command line that
 * names no console (src/boot/console.c, cmdline_append_console()), so that
 * a VM's or server's serial console shows the boot without anyone writing
 * console= into a signed .cmdline: the COM port the firmware's console is
 * on (x86), then hvc0 for a single VirtIO console, then tty0 when there is
 * a screen besides one of those (Linux makes the last console= /dev/console).
 * Deduced from what the firmware reports of the hardware, so, as with
 * systemd, not measured. This file decides; efi/console-detect.c asks the
 * firmware. */
#pragma once

#include "util.h"

#define CONSOLE_ARGS_MAX 3

/* Whether cmdline[0..units) (UTF-16, up to a NUL) already chooses a
 * console: it starts with "console=" or has " console=" (systemd's globs
 * "console=*" and "* console=*": only a blank before it counts). */
bool console_cmdline_has_console(const uint16_t *cmdline, size_t units);

/* The words to append, in order, into ret (static strings): serial_index
 * is the COM port of the firmware's serial console (0-3; anything else:
 * none), virtio_console whether there is exactly one VirtIO console,
 * graphics whether the firmware has a screen (it adds tty0 only beside one
 * of the others, so that a console= never takes the screen away). Returns
 * how many (0 when there is neither a serial nor a VirtIO console). */
size_t console_args(int serial_index, bool virtio_console, bool graphics, const char *ret[CONSOLE_ARGS_MAX]);
