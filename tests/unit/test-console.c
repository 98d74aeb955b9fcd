/* SPDX-License-Identifier: MIT */
/* common/console.c: when the stub adds console= and which words, as
 * systemd-stub 262 does (its cmdline_append_console(), read from the 262.1
 * binary: the globs "console=*" and "* console=*", the COM port table, then
 * hvc0, then tty0 only beside one of them; hvc0 alone was seen appended by
 * systemd-stub 262 under QEMU with one virtconsole and no screen). */
#include "keel-test.h"

#include "common/console.h"

static bool has(const char *s) {
        uint16_t *w = calloc(strlen(s) + 1, sizeof(uint16_t));
        bool r;

        assert_non_null(w);
        for (size_t i = 0; s[i]; i++)
                w[i] = (uint8_t) s[i];
        /* Exactly the units, no NUL: the bound is respected. */
        r = console_cmdline_has_console(w, strlen(s));
        free(w);
        return r;
}

static void test_has_console(void **state _unused_) {
        assert_true(has("console=ttyS0"));
        assert_true(has("console="));
        assert_true(has("quiet console=hvc0 loglevel=1"));
        assert_true(has("a  console=x"));
        assert_true(has("root=/dev/vda console=tty0"));
        assert_false(has(""));
        assert_false(has("console"));
        assert_false(has("quiet"));
        assert_false(has("xconsole=ttyS0"));
        assert_false(has("quiet\tconsole=ttyS0")); /* only a blank counts */
        assert_false(has("quiet console"));
        assert_false(has("quiet CONSOLE=ttyS0"));
        assert_false(has("earlycon=uart,io,0x3f8 netconsole=@/,@1.2.3.4/"));
        {
                /* The text ends at a NUL. */
                const uint16_t w[] = { 'a', 0, ' ', 'c', 'o', 'n', 's', 'o', 'l', 'e', '=' };
                assert_false(console_cmdline_has_console(w, ARRAY_SIZE(w)));
                assert_true(console_cmdline_has_console(w + 2, ARRAY_SIZE(w) - 2)); /* "* console=*" */
                assert_true(console_cmdline_has_console(w + 3, ARRAY_SIZE(w) - 3));
                assert_false(console_cmdline_has_console(w + 3, ARRAY_SIZE(w) - 4)); /* "console" */
        }
        assert_false(console_cmdline_has_console(NULL, 0));
}

static void expect(int serial, bool virtio, bool graphics, const char *joined) {
        const char *w[CONSOLE_ARGS_MAX];
        char buf[128] = "";
        size_t n = console_args(serial, virtio, graphics, w);

        assert_true(n <= CONSOLE_ARGS_MAX);
        for (size_t i = 0; i < n; i++) {
                if (i > 0)
                        strcat(buf, " ");
                strcat(buf, w[i]);
        }
        assert_string_equal(buf, joined);
}

static void test_args(void **state _unused_) {
        expect(-1, false, false, "");
        expect(-1, false, true, ""); /* a screen alone: the kernel's default is right */
        expect(-1, true, false, "console=hvc0");
        expect(-1, true, true, "console=hvc0 console=tty0");
        expect(0, false, false, "console=uart,io,0x3f8");
        expect(1, false, false, "console=uart,io,0x2f8");
        expect(2, false, true, "console=uart,io,0x3e8 console=tty0");
        expect(3, true, false, "console=uart,io,0x2e8 console=hvc0");
        expect(0, true, true, "console=uart,io,0x3f8 console=hvc0 console=tty0");
        expect(4, false, true, ""); /* no fixed port for COM5 */
        expect(4, true, false, "console=hvc0");
        expect(-2, false, false, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_has_console),
                cmocka_unit_test(test_args),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
