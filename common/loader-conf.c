/* SPDX-License-Identifier: MIT */
#include "loader-conf.h"

#define TIMEOUT_MAX_SECONDS (UINT32_MAX / 1000) /* a countdown of milliseconds must fit 32 bits */
#define DEFAULT_WATCHDOG_SECONDS 300
#define DEFAULT_REBOOT_DELAY_SECONDS 10
#define DEFAULT_ENROLL_TIMEOUT_SECONDS 15 /* systemd-boot's */

void loader_config_init(struct loader_config *c) {
        memset(c, 0, sizeof(*c));
        c->timeout.mode = TIMEOUT_UNSET;
        c->editor = true;
        c->auto_entries = true;
        c->auto_firmware = true;
        c->console_mode = CONSOLE_MODE_KEEP;
        c->secure_boot_enroll = SECURE_BOOT_ENROLL_MANUAL;
        c->secure_boot_enroll_timeout_seconds = DEFAULT_ENROLL_TIMEOUT_SECONDS;
        c->log_level = LOG_LEVEL_INFO;
        c->watchdog_seconds = DEFAULT_WATCHDOG_SECONDS;
        c->reboot_delay_seconds = DEFAULT_REBOOT_DELAY_SECONDS;
}

void loader_config_init_fail_safe(struct loader_config *c) {
        loader_config_init(c);
        c->editor = false;
}

bool parse_timeout(struct slice value, struct timeout_setting *ret) {
        uint64_t seconds;

        if (slice_eq(value, "menu-force")) {
                *ret = (struct timeout_setting) { TIMEOUT_MENU_FORCE, 0 };
                return true;
        }
        if (slice_eq(value, "menu-hidden")) {
                *ret = (struct timeout_setting) { TIMEOUT_MENU_HIDDEN, 0 };
                return true;
        }
        if (slice_eq(value, "menu-disabled")) {
                *ret = (struct timeout_setting) { TIMEOUT_MENU_DISABLED, 0 };
                return true;
        }
        if (!parse_uint(value, TIMEOUT_MAX_SECONDS, &seconds))
                return false;
        *ret = (struct timeout_setting) { TIMEOUT_SECONDS, (uint32_t) seconds };
        return true;
}

static bool parse_bool_into(struct slice value, bool *ret) {
        int b = parse_boolean(value);
        if (b < 0)
                return false;
        *ret = b;
        return true;
}

static bool parse_console_mode(struct slice value, int32_t *ret) {
        uint64_t n;

        if (slice_eq(value, "auto"))
                *ret = CONSOLE_MODE_AUTO;
        else if (slice_eq(value, "max"))
                *ret = CONSOLE_MODE_MAX;
        else if (slice_eq(value, "keep"))
                *ret = CONSOLE_MODE_KEEP;
        else if (parse_uint(value, INT32_MAX, &n))
                *ret = (int32_t) n;
        else
                return false;
        return true;
}

static bool parse_enroll(struct slice value, enum secure_boot_enroll *ret) {
        if (slice_eq(value, "off"))
                *ret = SECURE_BOOT_ENROLL_OFF;
        else if (slice_eq(value, "manual"))
                *ret = SECURE_BOOT_ENROLL_MANUAL;
        else if (slice_eq(value, "if-safe"))
                *ret = SECURE_BOOT_ENROLL_IF_SAFE;
        else if (slice_eq(value, "force"))
                *ret = SECURE_BOOT_ENROLL_FORCE;
        else
                return false;
        return true;
}

static bool parse_enroll_action(struct slice value, enum secure_boot_enroll_action *ret) {
        if (slice_eq(value, "reboot"))
                *ret = SECURE_BOOT_ENROLL_ACTION_REBOOT;
        else if (slice_eq(value, "shutdown"))
                *ret = SECURE_BOOT_ENROLL_ACTION_SHUTDOWN;
        else
                return false;
        return true;
}

static bool parse_reboot_on_error(struct slice value, enum reboot_on_error *ret) {
        int b;

        if (slice_eq(value, "auto")) {
                *ret = REBOOT_ON_ERROR_AUTO;
                return true;
        }
        b = parse_boolean(value);
        if (b < 0)
                return false;
        *ret = b ? REBOOT_ON_ERROR_YES : REBOOT_ON_ERROR_NO;
        return true;
}

bool parse_log_level(struct slice value, enum log_level *ret) {
        static const char *const names[] = { "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug" };

        for (size_t i = 0; i < ARRAY_SIZE(names); i++)
                if (slice_eq(value, names[i])) {
                        *ret = (enum log_level) i;
                        return true;
                }
        return false;
}

static bool parse_seconds(struct slice value, uint32_t *ret) {
        uint64_t n;
        if (!parse_uint(value, TIMEOUT_MAX_SECONDS, &n))
                return false;
        *ret = (uint32_t) n;
        return true;
}

/* "hidden" or a number of seconds (0: hidden too). */
static bool parse_enroll_timeout(struct slice value, uint32_t *ret) {
        if (slice_eq(value, "hidden")) {
                *ret = 0;
                return true;
        }
        return parse_seconds(value, ret);
}

/* `preferred`: a pattern, as `default` but without `@saved`. */
static bool parse_preferred(struct loader_config *c, struct slice value) {
        if ((value.len > 0 && value.ptr[0] == '@') || value.len >= sizeof(c->preferred_pattern))
                return false;
        memcpy(c->preferred_pattern, value.ptr, value.len);
        c->preferred_pattern[value.len] = '\0';
        return true;
}

static bool parse_default(struct loader_config *c, struct slice value) {
        if (slice_eq(value, "@saved")) {
                c->default_saved = true;
                c->default_pattern[0] = '\0';
                return true;
        }
        /* systemd-boot knows no other special entry than @saved. */
        if ((value.len > 0 && value.ptr[0] == '@') || value.len >= sizeof(c->default_pattern))
                return false;
        memcpy(c->default_pattern, value.ptr, value.len);
        c->default_pattern[value.len] = '\0';
        c->default_saved = false;
        return true;
}

/* Keys systemd-boot knows that keel accepts but does not act on. */
static bool is_ignored_key(struct slice key) {
        static const char *const ignored[] = { "beep", "random-seed-mode", "reboot-for-bitlocker" };
        for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
                if (slice_eq(key, ignored[i]))
                        return true;
        return false;
}

/* One line (at most LOADER_CONF_LINE_MAX bytes of it when overlong). */
static void parse_line(struct loader_config_reader *r, struct slice line, bool overlong) {
        struct loader_config *c = r->config;
        struct slice key, value;
        bool ok;

        line = slice_strip(line);
        if (line.len > 0 && line.ptr[0] == '#')
                return;
        if (overlong) {
                /* Its value is not all there: taking the part that fitted
                 * could read "default abc" out of "default abcdef...". */
                split_key_value(line, &key, &value);
                if (r->warn)
                        r->warn(r->userdata, r->line_number, "line too long for", key);
                return;
        }
        if (line.len == 0)
                return;
        split_key_value(line, &key, &value);

        if (slice_eq(key, "timeout"))
                ok = parse_timeout(value, &c->timeout);
        else if (slice_eq(key, "default"))
                ok = parse_default(c, value);
        else if (slice_eq(key, "preferred"))
                ok = parse_preferred(c, value);
        else if (slice_eq(key, "editor"))
                ok = parse_bool_into(value, &c->editor);
        else if (slice_eq(key, "auto-entries"))
                ok = parse_bool_into(value, &c->auto_entries);
        else if (slice_eq(key, "auto-firmware"))
                ok = parse_bool_into(value, &c->auto_firmware);
        else if (slice_eq(key, "console-mode"))
                ok = parse_console_mode(value, &c->console_mode);
        else if (slice_eq(key, "secure-boot-enroll"))
                ok = parse_enroll(value, &c->secure_boot_enroll);
        else if (slice_eq(key, "secure-boot-enroll-action"))
                ok = parse_enroll_action(value, &c->secure_boot_enroll_action);
        else if (slice_eq(key, "secure-boot-enroll-timeout-sec"))
                ok = parse_enroll_timeout(value, &c->secure_boot_enroll_timeout_seconds);
        else if (slice_eq(key, "reboot-on-error"))
                ok = parse_reboot_on_error(value, &c->reboot_on_error);
        else if (slice_eq(key, "log-level")) {
                /* A bad line is ignored: an earlier good one stays. */
                ok = parse_log_level(value, &c->log_level);
                c->log_level_set = c->log_level_set || ok;
        } else if (slice_eq(key, "keel-watchdog-sec"))
                ok = parse_seconds(value, &c->watchdog_seconds);
        else if (slice_eq(key, "keel-reboot-delay-sec"))
                ok = parse_seconds(value, &c->reboot_delay_seconds);
        else if (is_ignored_key(key))
                ok = true;
        else {
                if (r->warn)
                        r->warn(r->userdata, r->line_number, "unknown key", key);
                return;
        }
        if (!ok && r->warn)
                r->warn(r->userdata, r->line_number, "bad value for", key);
}

void loader_config_reader_init(struct loader_config_reader *r, struct loader_config *c, config_warn_fn warn,
                               void *userdata) {
        r->config = c;
        r->warn = warn;
        r->userdata = userdata;
        r->used = 0;
        r->overlong = false;
        r->after_cr = false;
        r->line_number = 0;
}

static void end_line(struct loader_config_reader *r) {
        r->line_number++;
        parse_line(r, slice_from(r->line, r->used), r->overlong);
        r->used = 0;
        r->overlong = false;
}

/* Line ends as line_reader_next() has them (common/strutil.c). */
void loader_config_reader_feed(struct loader_config_reader *r, const void *buf, size_t len) {
        const char *p = buf;

        for (size_t i = 0; p && i < len; i++) {
                char ch = p[i];
                bool after_cr = r->after_cr;

                r->after_cr = false;
                if (ch == '\n' && after_cr)
                        continue;
                if (ch == '\n' || ch == '\r' || ch == '\0') {
                        end_line(r);
                        r->after_cr = ch == '\r';
                } else if (r->used < sizeof(r->line))
                        r->line[r->used++] = ch;
                else
                        r->overlong = true;
        }
}

void loader_config_reader_finish(struct loader_config_reader *r) {
        if (r->used > 0 || r->overlong)
                end_line(r);
}

void loader_config_parse(struct loader_config *c, const void *buf, size_t len, config_warn_fn warn, void *userdata) {
        struct loader_config_reader r;

        loader_config_reader_init(&r, c, warn, userdata);
        loader_config_reader_feed(&r, buf, len);
        loader_config_reader_finish(&r);
}
