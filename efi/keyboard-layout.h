/* SPDX-License-Identifier: MIT */
#pragma once

/* LoaderKeyboardLayout (systemd 262): the language tag of the firmware's
 * current keyboard layout from the HII database, set when nobody set it
 * before and the firmware reports one; without one (no HII database, no
 * current layout, a malformed layout: one line at debug level) nothing is
 * set, as systemd does. */
void export_keyboard_layout(void);
