/* SPDX-License-Identifier: MIT */
#pragma once

#include "../common/entries.h"
#include "../common/loader-conf.h"
#include "../efi/efi.h"

struct menu_request {
        const struct entry_list *entries;
        size_t default_index;       /* SIZE_MAX: nothing to boot, show the no-entry screen */
        struct timeout_setting timeout;
        bool editor_allowed;        /* loader.conf `editor` and Secure Boot off */
        bool firmware_setup;        /* the firmware can reboot into its setup */
        uint32_t idle_seconds;      /* on the no-entry screen: give up after this long */
        int32_t console_mode;       /* loader.conf console-mode */
};

enum menu_action {
        MENU_BOOT,                  /* boot entries[index] */
        MENU_REBOOT,
        MENU_FIRMWARE_SETUP,
        MENU_GIVE_UP,               /* return to the firmware (next boot option) */
};

struct menu_result {
        enum menu_action action;
        size_t index;
        char *edited_options;       /* set when the user edited the command line; caller frees */
};

/* Shows the menu when the timeout asks for it (or a key is held with a
 * hidden menu) and returns what to do. Without entries it shows the
 * no-entry screen. */
struct menu_result menu_run(const struct menu_request *r);

/* True when a key press is waiting (to open a hidden menu). */
bool menu_key_pending(void);
