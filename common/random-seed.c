/* SPDX-License-Identifier: MIT */
#include "random-seed.h"
#include "error.h"
#include "sha256.h"

/* systemd-boot's domain separation label, so that the same inputs give the
 * same seeds under either loader (no trailing NUL is hashed). */
static const char hash_label[] = "systemd-boot random seed label v1";

void random_seed_erase(void *p, size_t n) {
        volatile uint8_t *v = p;

        while (n--)
                *v++ = 0;
}

int random_seed_table_parse(const void *mem, size_t avail, const uint8_t **ret_seed, size_t *ret_size) {
        uint32_t size;

        *ret_seed = NULL;
        *ret_size = 0;
        if (!mem || avail < RANDOM_SEED_TABLE_HEADER)
                return KEEL_E_RANDOM_SEED_TABLE_BAD;
        size = read_le32(mem);
        if (size > RANDOM_SEED_TABLE_MAX || size > avail - RANDOM_SEED_TABLE_HEADER)
                return KEEL_E_RANDOM_SEED_TABLE_BAD;
        *ret_seed = (const uint8_t *) mem + RANDOM_SEED_TABLE_HEADER;
        *ret_size = size;
        return KEEL_OK;
}

/* Each input as systemd-boot hashes it: its length as the loader's size_t
 * (64-bit little-endian on both of keel's architectures), then the bytes. */
static void hash_input(struct sha256_ctx *h, const void *data, uint64_t size) {
        uint8_t prefix[8];

        write_le64(prefix, size);
        sha256_update(h, prefix, sizeof(prefix));
        if (size > 0)
                sha256_update(h, data, (size_t) size);
}

bool random_seed_seeded_by_efi(const struct random_seed_input *in) {
        return (in->has_previous_table && in->previous_table_size >= RANDOM_SEED_SIZE) || in->rng;
}

static void expand(const uint8_t key[SHA256_DIGEST_SIZE], uint8_t label, uint8_t out[RANDOM_SEED_SIZE]) {
        struct sha256_ctx h;

        sha256_init(&h);
        sha256_update(&h, key, SHA256_DIGEST_SIZE);
        sha256_update(&h, &label, 1);
        sha256_final(&h, out);
        random_seed_erase(&h, sizeof(h));
}

int random_seed_derive(const struct random_seed_input *in, struct random_seed_output *out) {
        bool seeded_by_efi = random_seed_seeded_by_efi(in);
        bool fresh_file = !in->file_exists || in->file_size < RANDOM_SEED_FILE_MIN;
        uint8_t key[SHA256_DIGEST_SIZE];
        struct sha256_ctx h;
        int r = KEEL_OK;

        memset(out, 0, sizeof(*out));
        sha256_init(&h);
        sha256_update(&h, hash_label, sizeof(hash_label) - 1);

        if (in->has_previous_table)
                hash_input(&h, in->previous_table_seed, in->previous_table_size);
        else
                hash_input(&h, NULL, 0);

        /* Without randomness from the firmware the seed rests on the ESP
         * alone, which anyone with the disk can write: under Secure Boot
         * that is not enough. */
        if (!seeded_by_efi && in->secure_boot) {
                r = KEEL_E_RANDOM_SEED_UNTRUSTED;
                goto out;
        }
        hash_input(&h, in->rng, in->rng ? RANDOM_SEED_SIZE : 0);

        /* The system token protects a golden image whose seed file was
         * copied to many machines; without it and without the firmware's
         * randomness every copy would derive the same seeds. */
        if (!seeded_by_efi && (!in->system_token || in->system_token_size < RANDOM_SEED_SIZE)) {
                r = KEEL_E_RANDOM_SEED_NO_ENTROPY;
                goto out;
        }
        hash_input(&h, in->system_token, in->system_token ? in->system_token_size : 0);

        if (!in->file_exists && !seeded_by_efi) {
                r = KEEL_E_RANDOM_SEED_NO_FILE;
                goto out;
        }
        /* A file shorter than a seed (say, created and then the power went)
         * counts as fresh: its bytes are not used. */
        if (fresh_file)
                hash_input(&h, NULL, 0);
        else if (in->file_size > RANDOM_SEED_FILE_MAX) {
                r = KEEL_E_RANDOM_SEED_FILE_TOO_LARGE;
                goto out;
        } else
                hash_input(&h, in->file, in->file_size);

        /* The counter makes seeds differ across boots even when the write
         * back to the ESP silently did not persist. */
        if (!in->has_monotonic && !seeded_by_efi) {
                r = KEEL_E_RANDOM_SEED_NO_COUNTER;
                goto out;
        }
        {
                uint8_t counter[8];

                write_le64(counter, in->has_monotonic ? in->monotonic : 0);
                hash_input(&h, counter, sizeof(counter));
        }
        hash_input(&h, in->time, in->time ? in->time_size : 0);

        sha256_final(&h, key);
        expand(key, 0, out->file_seed);
        expand(key, 1, out->table_seed);
        expand(key, 2, out->variable_seed);
        out->create_file = !in->file_exists;
        /* systemd-boot does not truncate (FAT drivers are fragile there): the
         * old bytes after the new seed are overwritten with zeros instead. */
        out->zero_tail = fresh_file ? 0 : in->file_size - RANDOM_SEED_SIZE;
out:
        random_seed_erase(&h, sizeof(h));
        random_seed_erase(key, sizeof(key));
        return r;
}
