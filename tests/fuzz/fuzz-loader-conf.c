/* SPDX-License-Identifier: MIT */
/* loader.conf from arbitrary bytes: never a crash or a read past the input
 * (libFuzzer's buffer is exact-size), every setting in its documented
 * range, a warning for every line that is not used, and the same result
 * when the same bytes are parsed again. */
#include <stdlib.h>
#include <string.h>

#include "common/loader-conf.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

static void count_warning(void *userdata, unsigned line, const char *what, struct slice key) {
        unsigned *n = userdata;
        check(line > 0 && what && what[0] != '\0');
        check(key.len == 0 || key.ptr != NULL);
        (*n)++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct loader_config c, again;
        struct timeout_setting t;
        unsigned warnings = 0, warnings_again = 0;

        loader_config_init(&c);
        loader_config_parse(&c, data, size, count_warning, &warnings);
        check(strlen(c.default_pattern) < sizeof(c.default_pattern));
        check(!c.default_saved || c.default_pattern[0] == '\0');
        check(c.timeout.mode >= TIMEOUT_UNSET && c.timeout.mode <= TIMEOUT_MENU_DISABLED);
        check(c.timeout.mode == TIMEOUT_SECONDS || c.timeout.seconds == 0);
        check(c.timeout.seconds <= UINT32_MAX / 1000);
        check(c.console_mode >= CONSOLE_MODE_MAX);
        check(c.secure_boot_enroll <= SECURE_BOOT_ENROLL_FORCE);
        check(c.secure_boot_enroll_action <= SECURE_BOOT_ENROLL_ACTION_SHUTDOWN);
        check(c.reboot_on_error <= REBOOT_ON_ERROR_AUTO);
        check(c.log_level <= LOG_LEVEL_DEBUG && (c.log_level_set || c.log_level == LOG_LEVEL_INFO));
        check(strlen(c.preferred_pattern) < sizeof(c.preferred_pattern));
        check(c.watchdog_seconds <= UINT32_MAX / 1000 && c.reboot_delay_seconds <= UINT32_MAX / 1000);

        loader_config_init(&again);
        loader_config_parse(&again, data, size, count_warning, &warnings_again);
        check(memcmp(&c, &again, sizeof(c)) == 0 && warnings == warnings_again);

        /* The whole input as a LoaderConfigTimeout value. */
        if (parse_timeout(slice_from((const char *) data, size), &t))
                check(t.mode != TIMEOUT_UNSET && t.seconds <= UINT32_MAX / 1000);
        return 0;
}
