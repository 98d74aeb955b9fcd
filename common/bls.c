/* SPDX-License-Identifier: MIT */
#include "bls.h"

struct single_key {
        const char *name;
        size_t offset;
};

#define SINGLE(name, field) { name, offsetof(struct bls_entry, field) }

static const struct single_key single_keys[] = {
        SINGLE("title", title),         SINGLE("version", version),
        SINGLE("machine-id", machine_id), SINGLE("sort-key", sort_key),
        SINGLE("linux", linux_path),    SINGLE("efi", efi_path),
        SINGLE("uki", uki_path),        SINGLE("uki-url", uki_url),
        SINGLE("devicetree", devicetree), SINGLE("architecture", architecture),
        SINGLE("profile", profile),
};

/* The keys that say what an entry starts: one kind per entry. */
static bool names_kind(struct slice key) {
        return slice_eq(key, "linux") || slice_eq(key, "efi") || slice_eq(key, "uki") || slice_eq(key, "uki-url");
}

static void note_kind(struct bls_entry *e, struct slice key, struct slice *kind) {
        if (kind->len > 0 && slice_cmp(key, *kind) != 0)
                e->conflicting_kinds = true;
        *kind = key;
}

void bls_entry_parse(struct bls_entry *e, const void *buf, size_t len, config_warn_fn warn, void *userdata) {
        struct line_reader r;
        struct slice line, kind = SLICE_EMPTY;

        memset(e, 0, sizeof(*e));
        line_reader_init(&r, buf, len);
        while (line_reader_next(&r, &line)) {
                struct slice key, value;
                bool known = false;

                line = slice_strip(line);
                if (line.len == 0 || line.ptr[0] == '#')
                        continue;
                split_key_value(line, &key, &value);
                if (value.len == 0) {
                        if (warn)
                                warn(userdata, r.line_number, "no value for", key);
                        continue;
                }

                if (names_kind(key))
                        note_kind(e, key, &kind);
                for (size_t i = 0; i < ARRAY_SIZE(single_keys); i++)
                        if (slice_eq(key, single_keys[i].name)) {
                                *(struct slice *) ((uint8_t *) e + single_keys[i].offset) = value;
                                known = true;
                        }
                if (known)
                        continue;

                if (slice_eq(key, "initrd")) {
                        if (e->n_initrds < BLS_MAX_INITRDS)
                                e->initrds[e->n_initrds++] = value;
                        else if (warn)
                                warn(userdata, r.line_number, "too many", key);
                } else if (slice_eq(key, "options")) {
                        if (e->n_options < BLS_MAX_OPTIONS)
                                e->options[e->n_options++] = value;
                        else if (warn)
                                warn(userdata, r.line_number, "too many", key);
                } else if (slice_eq(key, "extra")) {
                        if (e->n_extras < BLS_MAX_EXTRAS)
                                e->extras[e->n_extras++] = value;
                        else if (warn)
                                warn(userdata, r.line_number, "too many", key);
                } else if (!slice_eq(key, "devicetree-overlay") && warn)
                        warn(userdata, r.line_number, "unknown key", key);
        }
}
