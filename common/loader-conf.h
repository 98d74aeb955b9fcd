/* SPDX-License-Identifier: MIT */
/* loader.conf, as systemd-boot reads it: "key value" lines, '#' comments. */
#pragma once

#include "strutil.h"

enum timeout_mode {
        TIMEOUT_UNSET = -1,      /* not configured: keel's default applies */
        TIMEOUT_SECONDS = 0,     /* timeout_seconds is valid; 0 means no menu */
        TIMEOUT_MENU_FORCE,      /* show the menu, no countdown */
        TIMEOUT_MENU_HIDDEN,     /* boot the default at once unless a key is held */
        TIMEOUT_MENU_DISABLED,   /* boot the default at once, no key opens the menu (systemd 254) */
};

struct timeout_setting {
        enum timeout_mode mode;
        uint32_t seconds;
};

enum secure_boot_enroll {
        SECURE_BOOT_ENROLL_OFF,
        SECURE_BOOT_ENROLL_MANUAL,
        SECURE_BOOT_ENROLL_IF_SAFE, /* systemd's default; keel enrolls nothing unasked: as manual */
        SECURE_BOOT_ENROLL_FORCE,
};

enum secure_boot_enroll_action {
        SECURE_BOOT_ENROLL_ACTION_REBOOT,
        SECURE_BOOT_ENROLL_ACTION_SHUTDOWN,
};

/* reboot-on-error (systemd 258): what follows when the chosen entry fails
 * to start. Unset, keel boots the next entry in the same boot. */
enum reboot_on_error {
        REBOOT_ON_ERROR_UNSET,
        REBOOT_ON_ERROR_NO,
        REBOOT_ON_ERROR_YES,
        REBOOT_ON_ERROR_AUTO,
};

/* log-level (systemd 259), syslog's numbering. */
enum log_level {
        LOG_LEVEL_EMERG,
        LOG_LEVEL_ALERT,
        LOG_LEVEL_CRIT,
        LOG_LEVEL_ERR,
        LOG_LEVEL_WARNING,
        LOG_LEVEL_NOTICE,
        LOG_LEVEL_INFO,
        LOG_LEVEL_DEBUG,
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
        char preferred_pattern[LOADER_CONF_DEFAULT_MAX]; /* `preferred` (systemd 260); empty when unset */
        bool editor;
        bool auto_entries;
        bool auto_firmware;
        int32_t console_mode;
        enum secure_boot_enroll secure_boot_enroll;
        enum secure_boot_enroll_action secure_boot_enroll_action;
        uint32_t secure_boot_enroll_timeout_seconds;   /* 0: no warning ("hidden") */
        enum reboot_on_error reboot_on_error;
        enum log_level log_level;
        bool log_level_set;                            /* else SMBIOS's or "info" applies */
        /* keel's own settings (unattended fallback, issue: boot assessment) */
        uint32_t watchdog_seconds;        /* 0 disables the watchdog */
        uint32_t reboot_delay_seconds;    /* after every entry failed */
};

/* Called for each line keel cannot use: an unknown key, a bad value, a value too long. */
typedef void (*config_warn_fn)(void *userdata, unsigned line, const char *what, struct slice key);

/* Lines are read up to this length; a longer one is skipped with a warning
 * (a comment silently). The longest line keel can use, `default` with a
 * 255-byte pattern, is far shorter. */
#define LOADER_CONF_LINE_MAX 1024
/* A larger loader.conf is not read at all (loader_config_init_fail_safe):
 * the loader would spend minutes of the boot on it. */
#define LOADER_CONF_SIZE_MAX (16u * 1024 * 1024)

/* The EV_EVENT_TAG tag of loader.conf's measurement into PCR 5 (systemd-boot's). */
#define LOADER_CONF_EVENT_TAG_ID UINT32_C(0xf5bc582a)

void loader_config_init(struct loader_config *c);

/* For a loader.conf that exists but cannot be read (a read error, a
 * directory, over LOADER_CONF_SIZE_MAX): the defaults, but with the editor
 * off. A file that may well say "editor no" must not turn the editor on by
 * failing to load. */
void loader_config_init_fail_safe(struct loader_config *c);

/* Parses loader.conf; bad lines are reported through warn and skipped,
 * never fatal: a garbage file gives the defaults. */
void loader_config_parse(struct loader_config *c, const void *buf, size_t len, config_warn_fn warn, void *userdata);

/* The same in pieces of any size, as the file is read: a file of any length
 * parses in constant memory, with the result and warnings of
 * loader_config_parse() on the whole file. Lines end at "\n", "\r\n", "\r"
 * and NUL, also when a piece ends between "\r" and "\n". */
struct loader_config_reader {
        struct loader_config *config;
        config_warn_fn warn;
        void *userdata;
        char line[LOADER_CONF_LINE_MAX];
        size_t used;
        bool overlong;     /* the current line did not fit: the rest of it is skipped */
        bool after_cr;     /* the last byte was "\r": a "\n" next ends no second line */
        unsigned line_number;
};

void loader_config_reader_init(struct loader_config_reader *r, struct loader_config *c, config_warn_fn warn,
                               void *userdata);
void loader_config_reader_feed(struct loader_config_reader *r, const void *buf, size_t len);
/* The last line, when the file does not end with a line end. */
void loader_config_reader_finish(struct loader_config_reader *r);

/* Parses a timeout value: a number of seconds, "menu-force", "menu-hidden",
 * "menu-disabled" (also used for the LoaderConfigTimeout variables). */
bool parse_timeout(struct slice value, struct timeout_setting *ret);

/* Parses a log level name: emerg, alert, crit, err, warning, notice, info,
 * debug (also SMBIOS io.systemd.boot.loglevel=). */
bool parse_log_level(struct slice value, enum log_level *ret);
