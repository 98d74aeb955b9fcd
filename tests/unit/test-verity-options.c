/* SPDX-License-Identifier: MIT */
/* The hash-tree options `keel verity` and `keel image` share: a given value
 * is checked where it is parsed, and 0 (which inside keel means "not given")
 * is never taken for the default. */
#include "keel-test.h"

#include "host-tools/verity/verity-util.h"

static int option(int c, const char *arg, struct verity_tree_options *o) {
        return verity_tree_option("test", c, arg, o);
}

static void test_block_size_zero_refused(void **state) {
        struct verity_tree_options o = {};

        (void) state;
        assert_int_equal(option('d', "0", &o), -1);
        assert_int_equal(option('b', "0", &o), -1);
        assert_int_equal(option('d', "000", &o), -1);
        assert_int_equal(o.data_block_size, 0);
        assert_int_equal(o.hash_block_size, 0);
}

static void test_block_size_range(void **state) {
        struct verity_tree_options o = {};

        (void) state;
        assert_int_equal(option('d', "256", &o), -1);
        assert_int_equal(option('d', "1000", &o), -1);
        assert_int_equal(option('b', "1048576", &o), -1);
        assert_int_equal(option('d', "512", &o), 1);
        assert_int_equal(o.data_block_size, 512);
        assert_int_equal(option('b', "524288", &o), 1);
        assert_int_equal(o.hash_block_size, 524288);
}

static void test_threads_zero_refused(void **state) {
        struct verity_tree_options o = {};

        (void) state;
        assert_int_equal(option('t', "0", &o), -1);
        assert_int_equal(option('t', "1025", &o), -1);
        assert_int_equal(option('t', "2", &o), 1);
        assert_int_equal(o.threads, 2);
}

static void test_not_a_tree_option(void **state) {
        struct verity_tree_options o = {};

        (void) state;
        assert_int_equal(option('u', "x", &o), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_block_size_zero_refused),
                cmocka_unit_test(test_block_size_range),
                cmocka_unit_test(test_threads_zero_refused),
                cmocka_unit_test(test_not_a_tree_option),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
