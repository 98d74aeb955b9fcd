/* SPDX-License-Identifier: MIT */
#include "boot-secret.h"
#include "random-seed.h"
#include "sha256.h"

static const char derive_label[] = "systemd-stub derive secret label v1";
static const char make_label[] = "systemd-stub random seed make secret label v1";
static const char evolve_label[] = "systemd-stub random seed evolve label v1";

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* Whether line[0..n) is key=... with exactly this key. */
static bool key_is(const char *line, size_t n, size_t key_len, const char *key) {
        return key_len == strlen(key) && key_len <= n && memcmp(line, key, key_len) == 0;
}

void boot_secret_os_id(const char *osrel, size_t len, const char **ret_id, size_t *ret_len) {
        const char *id = NULL;
        size_t id_len = 0, pos = 0;

        /* The text ends at its first NUL. */
        for (size_t i = 0; i < len; i++)
                if (osrel[i] == '\0') {
                        len = i;
                        break;
                }
        while (pos < len) {
                const char *line = osrel + pos, *value;
                size_t n = 0, key_len = 0, value_len;

                while (pos + n < len && osrel[pos + n] != '\n' && osrel[pos + n] != '\r')
                        n++;
                pos += n + (pos + n < len);
                while (n > 0 && is_blank(line[0])) {
                        line++;
                        n--;
                }
                while (n > 0 && is_blank(line[n - 1]))
                        n--;
                if (n == 0 || line[0] == '#')
                        continue;
                while (key_len < n && line[key_len] != '=')
                        key_len++;
                if (key_len == n)
                        continue;
                value = line + key_len;
                value_len = n - key_len;
                while (value_len > 0 && value[0] == '=') {
                        value++;
                        value_len--;
                }
                /* The opening quote and the line's last character; a lone
                 * '"' is both, and leaves an empty value. */
                if (value_len > 0 && value[0] == '"' && line[n - 1] == '"') {
                        value++;
                        value_len = value_len >= 2 ? value_len - 2 : 0;
                }
                if (key_is(line, n, key_len, "IMAGE_ID")) {
                        *ret_id = value;
                        *ret_len = value_len;
                        return;
                }
                if (key_is(line, n, key_len, "ID")) {
                        id = value;
                        id_len = value_len;
                }
        }
        if (!id) {
                id = "linux";
                id_len = 5;
        }
        *ret_id = id;
        *ret_len = id_len;
}

/* label || le32(seed_size) || seed: how systemd-stub hashes the table. */
static void hash_seed(const char *label, size_t label_len, const uint8_t *seed, uint32_t seed_size,
                      uint8_t ret[SHA256_DIGEST_SIZE]) {
        struct sha256_ctx h;
        uint8_t size_le[4];

        write_le32(size_le, seed_size);
        sha256_init(&h);
        sha256_update(&h, label, label_len);
        sha256_update(&h, size_le, sizeof(size_le));
        sha256_update(&h, seed, seed_size);
        sha256_final(&h, ret);
        random_seed_erase(&h, sizeof(h));
}

void boot_secret_from_seed(uint8_t *seed, uint32_t seed_size, uint8_t ret[BOOT_SECRET_SIZE]) {
        hash_seed(make_label, sizeof(make_label) - 1, seed, seed_size, ret);
        hash_seed(evolve_label, sizeof(evolve_label) - 1, seed, seed_size, seed);
}

void boot_secret_derive(const uint8_t machine_secret[BOOT_SECRET_SIZE], const uint8_t mixin[BOOT_SECRET_SIZE],
                        const char *id, size_t id_len, uint8_t ret[BOOT_SECRET_SIZE]) {
        struct sha256_ctx h;
        uint8_t len_le[8];

        /* The length as the stub's size_t: 64 bits on both of keel's architectures. */
        write_le64(len_le, id_len);
        sha256_init(&h);
        sha256_update(&h, derive_label, sizeof(derive_label) - 1);
        sha256_update(&h, machine_secret, BOOT_SECRET_SIZE);
        sha256_update(&h, mixin, BOOT_SECRET_SIZE);
        sha256_update(&h, len_le, sizeof(len_le));
        sha256_update(&h, id, id_len);
        sha256_final(&h, ret);
        random_seed_erase(&h, sizeof(h));
}
