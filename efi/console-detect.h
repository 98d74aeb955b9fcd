/* SPDX-License-Identifier: MIT */
/* What the firmware tells of the machine's consoles, for the console= the
 * stub appends (common/console.h), found as systemd-stub 262 finds it. */
#pragma once

#include "efi.h"

/* The COM port (the ACPI UID of a PNP0501 UART node) of the firmware's
 * console: the one in ConOut's device path when ConOut has one, else the
 * one all text outputs with a UART in their path agree on; -1 when there
 * is none, or they disagree. x86 only (arch_uart_console): elsewhere -1. */
int console_serial_index(void);

/* Whether exactly one PCI device is a VirtIO console (1af4:1003). */
bool console_virtio_console(void);

/* Whether the firmware has a graphics output (GOP). */
bool console_graphics(void);
