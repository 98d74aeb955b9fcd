/* SPDX-License-Identifier: MIT */
/* loader.conf, as systemd-boot reads it: "key value" lines, '#' comments. */
#pragma once

#include "strutil.h"

enum timeout_mode {
        TIMEOUT_UNSET = -1,      /* not configured: keel's default applies */
        TIMEOUT_SECONDS = 0,     /* timeout_seconds is valid; 0 means no menu */
        TIMEOUT_MENU_FORCE,      /* show the menu, no countdown */
        TIMEOUT_MENU_HIDDEN,     /* boot the default at once unless a key is held */
};

struct timeout_setting {
        enum timeout_mode mode;
        uint32_t seconds;
};

enum secure_boot_enroll {
        SECURE_BOOT_ENROLL_OFF,
        SECURE_BOOT_ENROLL_MANUAL,
        SECURE_BOOT_ENROLL_FORCE,
};

enum console_mode {
        CONSOLE_MODE_KEEP = -1,  /* leave the firmware's mode (the default) */
        CONSOLE_MODE_AUTO = -2,
        CONSOLE_MODE_MAX = -3,
        /* 0, 1, 2, ...: a firmware text mode number */
};

#define LOADER_CONF_DEFAULT_MAX 256

struct loader_config {
        struct timeout_setting timeout;
        char default_pattern[LOADER_CONF_DEFAULT_MAX]; /* empty when unset */
        bool default_saved;                            /* `default @saved` */
        bool editor;
        bool auto_entries;
        bool auto_firmware;
        int32_t console_mode;
        enum secure_boot_enroll secure_boot_enroll;
        /* keel's own settings (unattended fallback, issue: boot assessment) */
        uint32_t watchdog_seconds;        /* 0 disables the watchdog */
        uint32_t reboot_delay_seconds;    /* after every entry failed */
};

/* Called for each line keel cannot use: an unknown key, a bad value, a value too long. */
typedef void (*config_warn_fn)(void *userdata, unsigned line, const char *what, struct slice key);

void loader_config_init(struct loader_config *c);

/* Parses loader.conf; bad lines are reported through warn and skipped,
 * never fatal: a garbage file gives the defaults. */
void loader_config_parse(struct loader_config *c, const void *buf, size_t len, config_warn_fn warn, void *userdata);

/* Parses a timeout value: a number of seconds, "menu-force", "menu-hidden"
 * (also used for the LoaderConfigTimeout variables). */
bool parse_timeout(struct slice value, struct timeout_setting *ret);
