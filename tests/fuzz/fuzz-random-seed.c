/* SPDX-License-Identifier: MIT */
/* The loader's random seed from arbitrary inputs: a previous stage's seed
 * table (memory keel does not own: its size field is hostile), the
 * LoaderSystemToken variable and the \loader\random-seed file (both on
 * media anyone with the disk can write). random_seed_table_parse must
 * never promise bytes past what may be read; random_seed_derive must
 * refuse (with every output zero) or give a plan that matches the file:
 * create it only when absent, zero exactly the bytes after the first 32 of
 * a file it read, and three distinct seeds. */
#include <stdlib.h>
#include <string.h>

#include "common/error.h"
#include "common/random-seed.h"

static void check(bool condition) {
        if (!condition)
                abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        struct random_seed_input in = { 0 };
        struct random_seed_output out;
        static const uint8_t rng[RANDOM_SEED_SIZE] = { 7 };
        size_t table_len, token_len;
        uint8_t flags;
        int r;

        if (size < 3)
                return 0;
        flags = data[0];
        table_len = data[1] * 4u;
        token_len = data[2];
        data += 3;
        size -= 3;
        if (table_len > size)
                table_len = size;
        {
                /* An exact heap copy: ASan sees any read past table_len. */
                uint8_t *table = malloc(table_len ? table_len : 1);
                const uint8_t *seed = NULL;
                size_t seed_size = 0;

                check(table != NULL);
                memcpy(table, data, table_len);
                r = random_seed_table_parse(table, table_len, &seed, &seed_size);
                if (r == KEEL_OK) {
                        check(table_len >= RANDOM_SEED_TABLE_HEADER);
                        check(seed == table + RANDOM_SEED_TABLE_HEADER);
                        check(seed_size <= RANDOM_SEED_TABLE_MAX && seed_size <= table_len - RANDOM_SEED_TABLE_HEADER);
                        in.has_previous_table = flags & 1;
                        in.previous_table_seed = seed;
                        in.previous_table_size = seed_size;
                } else {
                        check(r == KEEL_E_RANDOM_SEED_TABLE_BAD && seed == NULL && seed_size == 0);
                }
                data += table_len;
                size -= table_len;
                if (token_len > size)
                        token_len = size;
                if (flags & 2) {
                        in.system_token = data;
                        in.system_token_size = token_len;
                }
                data += token_len;
                size -= token_len;
                in.rng = flags & 4 ? rng : NULL;
                in.secure_boot = flags & 8;
                in.file_exists = flags & 16;
                in.has_monotonic = flags & 32;
                in.monotonic = size;
                in.time = flags & 64 ? data : NULL;
                in.time_size = flags & 64 && size >= 16 ? 16 : 0;
                if (in.file_exists) {
                        /* flags & 128: a size the glue would not read */
                        in.file_size = flags & 128 ? RANDOM_SEED_FILE_MAX + 1 + size : size;
                        in.file = in.file_size >= RANDOM_SEED_FILE_MIN && in.file_size <= RANDOM_SEED_FILE_MAX ? data : NULL;
                }
                memset(&out, 0x5a, sizeof(out));
                r = random_seed_derive(&in, &out);
                if (r != KEEL_OK) {
                        static const struct random_seed_output zero;
                        check(memcmp(&out, &zero, sizeof(out)) == 0);
                        check(r == KEEL_E_RANDOM_SEED_UNTRUSTED || r == KEEL_E_RANDOM_SEED_NO_ENTROPY ||
                              r == KEEL_E_RANDOM_SEED_NO_FILE || r == KEEL_E_RANDOM_SEED_FILE_TOO_LARGE ||
                              r == KEEL_E_RANDOM_SEED_NO_COUNTER);
                } else {
                        check(out.create_file == !in.file_exists);
                        check(in.file_size <= RANDOM_SEED_FILE_MAX || !in.file_exists);
                        if (in.file_exists && in.file_size >= RANDOM_SEED_FILE_MIN)
                                check(out.zero_tail == in.file_size - RANDOM_SEED_SIZE);
                        else
                                check(out.zero_tail == 0);
                        check(memcmp(out.file_seed, out.table_seed, RANDOM_SEED_SIZE) != 0);
                        check(memcmp(out.file_seed, out.variable_seed, RANDOM_SEED_SIZE) != 0);
                        check(memcmp(out.table_seed, out.variable_seed, RANDOM_SEED_SIZE) != 0);
                }
                free(table);
        }
        return 0;
}
