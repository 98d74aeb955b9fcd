/* SPDX-License-Identifier: MIT */
/* NixOS boot specifications (RFC 0125, bootspec v1): boot.json of a system
 * generation. The document is untrusted input: json-c parses it in strict
 * mode, a walk over the text refuses what json-c would silently resolve
 * (duplicate keys, keys with NUL, lone UTF-16 surrogates), and every string
 * keel uses is checked for what would break the files it ends up in (the
 * kernel command line, Type #1 entry lines, file names). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "host-tools/core/arch.h"
#include "host-tools/install/bootspec.h"

#define NS_BOOTSPEC "org.nixos.bootspec.v1"
#define NS_SPECIALISATION "org.nixos.specialisation.v1"
#define NS_SYSTEMD_BOOT "org.nixos.systemd-boot"
#define PRE_RFC_KEY "v1"
#define DEFAULT_PROFILES_DIR "/nix/var/nix/profiles"

/* json-c's default nesting limit; bootspec itself needs 5 levels, other
 * namespaces get the rest. The text walk keeps one frame per level. */
#define JSON_DEPTH 32
/* How much of a key path or a name an error message shows. */
#define SHOWN_MAX 64

/* Where errors go, and what they start with ("" for the generation's own
 * document, "specialisation \"NAME\": " for a specialisation's). */
struct ctx {
        char *error;
        size_t error_size;
        char prefix[SHOWN_MAX + 32];
};

static int fail(char *error, size_t error_size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *error, size_t error_size, const char *fmt, ...) {
        va_list ap;

        if (error && error_size > 0) {
                va_start(ap, fmt);
                vsnprintf(error, error_size, fmt, ap);
                va_end(ap);
        }
        return -1;
}

/* fail() with the context's prefix. */
static int cfail(struct ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int cfail(struct ctx *c, const char *fmt, ...) {
        char text[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        return fail(c->error, c->error_size, "%s%s", c->prefix, text);
}

/* A copy of untrusted bytes fit for a one-line message: printable ASCII
 * stays (but '"' and '\\'), anything else becomes \xHH; long ones are cut. */
static void shown(const char *s, size_t len, char out[SHOWN_MAX + 8]) {
        size_t o = 0;

        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char) s[i];
                if (o + 4 > SHOWN_MAX) {
                        memcpy(out + o, "...", 3);
                        o += 3;
                        break;
                }
                if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
                        out[o++] = (char) ch;
                else
                        o += (size_t) snprintf(out + o, 5, "\\x%02x", ch);
        }
        out[o] = '\0';
}

/* Strict UTF-8: no overlong forms, no surrogates, nothing above U+10FFFF. */
static bool utf8_valid(const char *str, size_t len) {
        const unsigned char *s = (const unsigned char *) str;
        size_t i = 0;

        while (i < len) {
                unsigned char c = s[i];
                size_t n;
                uint32_t cp;

                if (c < 0x80) {
                        i++;
                        continue;
                } else if (c >= 0xc2 && c <= 0xdf) {
                        n = 1;
                        cp = c & 0x1f;
                } else if (c >= 0xe0 && c <= 0xef) {
                        n = 2;
                        cp = c & 0x0f;
                } else if (c >= 0xf0 && c <= 0xf4) {
                        n = 3;
                        cp = c & 0x07;
                } else
                        return false;
                if (len - i - 1 < n)
                        return false;
                for (size_t k = 1; k <= n; k++) {
                        if ((s[i + k] & 0xc0) != 0x80)
                                return false;
                        cp = (cp << 6) | (s[i + k] & 0x3f);
                }
                if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                i += n + 1;
        }
        return true;
}

/* ------------------------------------------------------------------------ */
/* The text walk. It runs on text json-c has accepted in strict mode, so the
 * syntax is known to be right; it only looks at strings and at which
 * container they are in. */

struct frame {
        bool is_object;
        bool expect_key;
        size_t index;           /* arrays: the element */
        json_object *keys;      /* objects: the keys seen, as a set */
        char *key;              /* objects: the current member's key */
};

/* The container path of the frames for a message: a.b[3].c */
static void frame_path(const struct frame *frames, size_t depth, char *out, size_t out_size) {
        size_t o = 0;

        out[0] = '\0';
        /* frames[0] is the top-level value, which has no name. */
        for (size_t i = 1; i < depth && o + 1 < out_size; i++) {
                const struct frame *parent = &frames[i - 1];
                char part[SHOWN_MAX + 8];
                int n;

                if (parent->is_object) {
                        shown(parent->key ? parent->key : "", parent->key ? strlen(parent->key) : 0, part);
                        n = snprintf(out + o, out_size - o, "%s%s", o ? "." : "", part);
                } else
                        n = snprintf(out + o, out_size - o, "[%zu]", parent->index);
                if (n < 0 || (size_t) n >= out_size - o) {
                        out[out_size - 1] = '\0';
                        return;
                }
                o += (size_t) n;
        }
}

static int hex4(const char *s, uint32_t *ret) {
        uint32_t v = 0;

        for (int i = 0; i < 4; i++) {
                char c = s[i];
                v <<= 4;
                if (c >= '0' && c <= '9')
                        v |= (uint32_t) (c - '0');
                else if (c >= 'a' && c <= 'f')
                        v |= (uint32_t) (c - 'a' + 10);
                else if (c >= 'A' && c <= 'F')
                        v |= (uint32_t) (c - 'A' + 10);
                else
                        return -1;
        }
        *ret = v;
        return 0;
}

static size_t utf8_put(uint32_t cp, char *out) {
        if (cp < 0x80) {
                out[0] = (char) cp;
                return 1;
        }
        if (cp < 0x800) {
                out[0] = (char) (0xc0 | (cp >> 6));
                out[1] = (char) (0x80 | (cp & 0x3f));
                return 2;
        }
        if (cp < 0x10000) {
                out[0] = (char) (0xe0 | (cp >> 12));
                out[1] = (char) (0x80 | ((cp >> 6) & 0x3f));
                out[2] = (char) (0x80 | (cp & 0x3f));
                return 3;
        }
        out[0] = (char) (0xf0 | (cp >> 18));
        out[1] = (char) (0x80 | ((cp >> 12) & 0x3f));
        out[2] = (char) (0x80 | ((cp >> 6) & 0x3f));
        out[3] = (char) (0x80 | (cp & 0x3f));
        return 4;
}

/* Decodes the string whose opening quote is at text[*pos]; on return *pos
 * is just past the closing quote. With ret_decoded NULL it only checks.
 * Returns -1 (with *ret_why) for a lone surrogate escape, which json-c
 * would turn into U+FFFD without a word. */
static int scan_string(const char *text, size_t len, size_t *pos, char **ret_decoded, size_t *ret_decoded_len,
                       const char **ret_why) {
        size_t i = *pos + 1, start = i, o = 0;
        char *out = NULL;

        /* Decoding never grows the text: an escape of 6 bytes gives at most 3,
         * a pair of 12 bytes gives 4. */
        if (ret_decoded) {
                size_t end = start;
                while (end < len && text[end] != '"')
                        end += text[end] == '\\' ? 2 : 1;
                out = malloc((end > len ? len : end) - start + 1);
                if (!out) {
                        *ret_why = "out of memory";
                        return -1;
                }
        }
        while (i < len && text[i] != '"') {
                uint32_t cp, low;

                if (text[i] != '\\') {
                        if (out)
                                out[o++] = text[i];
                        i++;
                        continue;
                }
                if (len - i < 2)
                        break;
                switch (text[i + 1]) {
                case 'u':
                        if (len - i < 6 || hex4(text + i + 2, &cp) < 0)
                                goto bad;
                        i += 6;
                        if (cp >= 0xdc00 && cp <= 0xdfff) {
                                *ret_why = "a lone UTF-16 low surrogate escape";
                                goto fail;
                        }
                        if (cp >= 0xd800 && cp <= 0xdbff) {
                                if (len - i < 6 || text[i] != '\\' || text[i + 1] != 'u' ||
                                    hex4(text + i + 2, &low) < 0 || low < 0xdc00 || low > 0xdfff) {
                                        *ret_why = "a lone UTF-16 high surrogate escape";
                                        goto fail;
                                }
                                i += 6;
                                cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
                        }
                        if (out)
                                o += utf8_put(cp, out + o);
                        continue;
                case 'b': cp = '\b'; break;
                case 'f': cp = '\f'; break;
                case 'n': cp = '\n'; break;
                case 'r': cp = '\r'; break;
                case 't': cp = '\t'; break;
                case '"': case '\\': case '/': cp = (unsigned char) text[i + 1]; break;
                default: goto bad;
                }
                if (out)
                        out[o++] = (char) cp;
                i += 2;
        }
        if (i >= len)
                goto bad;
        *pos = i + 1;
        if (out) {
                out[o] = '\0';
                *ret_decoded = out;
                *ret_decoded_len = o;
        }
        return 0;
bad:
        /* json-c accepted the text, so this is not reached. */
        *ret_why = "a malformed string";
fail:
        free(out);
        return -1;
}

static void frames_free(struct frame *frames, size_t depth) {
        for (size_t i = 0; i < depth; i++) {
                json_object_put(frames[i].keys);
                free(frames[i].key);
        }
}

/* Refuses duplicate keys (json-c keeps the last one, another reader may keep
 * the first: which kernel boots must not depend on the reader), keys with a
 * NUL (json-c cuts them there, so "kernel\u0000x" would be "kernel") and lone
 * surrogate escapes anywhere. */
static int walk_text(const char *text, size_t len, char *error, size_t error_size) {
        struct frame frames[JSON_DEPTH + 1];
        size_t depth = 0, i = 0;
        char where[256], what[SHOWN_MAX + 8];
        int r = 0;

        memset(frames, 0, sizeof(frames));
        while (i < len) {
                struct frame *top = depth ? &frames[depth - 1] : NULL;
                const char *why = NULL;
                char *key = NULL;
                size_t key_len = 0;

                switch (text[i]) {
                case '{':
                case '[':
                        if (depth >= JSON_DEPTH + 1) {
                                r = fail(error, error_size, "JSON nested deeper than %d levels", JSON_DEPTH);
                                goto out;
                        }
                        frames[depth] = (struct frame) { .is_object = text[i] == '{', .expect_key = true };
                        if (text[i] == '{') {
                                frames[depth].keys = json_object_new_object();
                                if (!frames[depth].keys) {
                                        r = fail(error, error_size, "out of memory");
                                        goto out;
                                }
                        }
                        depth++;
                        i++;
                        break;
                case '}':
                case ']':
                        if (depth == 0) {
                                r = fail(error, error_size, "malformed JSON");
                                goto out;
                        }
                        depth--;
                        json_object_put(frames[depth].keys);
                        free(frames[depth].key);
                        frames[depth] = (struct frame) { 0 };
                        i++;
                        break;
                case ',':
                        if (top && top->is_object)
                                top->expect_key = true;
                        else if (top)
                                top->index++;
                        i++;
                        break;
                case '"':
                        if (top && top->is_object && top->expect_key) {
                                if (scan_string(text, len, &i, &key, &key_len, &why) < 0)
                                        goto bad_string;
                                /* The message parts only on a refusal. */
                                if (strlen(key) != key_len || json_object_object_get_ex(top->keys, key, NULL)) {
                                        frame_path(frames, depth, where, sizeof(where));
                                        shown(key, key_len, what);
                                }
                                if (strlen(key) != key_len) {
                                        r = fail(error, error_size, "key \"%s\"%s%s contains a NUL character",
                                                 what, where[0] ? " in " : " at the top level", where);
                                        free(key);
                                        goto out;
                                }
                                if (json_object_object_get_ex(top->keys, key, NULL)) {
                                        r = fail(error, error_size, "duplicate key \"%s\"%s%s", what,
                                                 where[0] ? " in " : " at the top level", where);
                                        free(key);
                                        goto out;
                                }
                                if (json_object_object_add(top->keys, key, NULL) < 0) {
                                        r = fail(error, error_size, "out of memory");
                                        free(key);
                                        goto out;
                                }
                                free(top->key);
                                top->key = key;
                                top->expect_key = false;
                        } else if (scan_string(text, len, &i, NULL, NULL, &why) < 0)
                                goto bad_string;
                        break;
                default:
                        i++;
                }
                continue;
bad_string:
                frame_path(frames, depth, where, sizeof(where));
                if (top && top->is_object && !top->expect_key && top->key) {
                        /* A member's value: name the member. */
                        size_t n = strlen(where);
                        shown(top->key, strlen(top->key), what);
                        snprintf(where + n, sizeof(where) - n, "%s%s", n ? "." : "", what);
                } else if (top && !top->is_object) {
                        size_t n = strlen(where);
                        snprintf(where + n, sizeof(where) - n, "[%zu]", top->index);
                }
                r = fail(error, error_size, "%s%s%s: %s", "invalid string", where[0] ? " in " : "", where, why);
                goto out;
        }
out:
        frames_free(frames, depth);
        return r;
}

/* ------------------------------------------------------------------------ */
/* Fields. */

enum string_kind {
        KIND_TEXT,      /* system, label: no control characters */
        KIND_PATH,      /* absolute, no control characters */
        KIND_CMDLINE,   /* a kernel command-line word: no separator, balanced quotes */
        KIND_INIT,      /* both: init=PATH is a command-line word */
};

/* The checks of a string that keel uses; name is the key path shown. */
static int check_string(struct ctx *c, const char *name, const char *s, size_t len, enum string_kind kind) {
        unsigned quotes = 0;

        if (len == 0)
                return cfail(c, "%s is empty", name);
        if (strlen(s) != len)
                return cfail(c, "%s contains a NUL character", name);
        if (!utf8_valid(s, len))
                return cfail(c, "%s is not valid UTF-8", name);
        for (size_t i = 0; i < len; i++) {
                unsigned char ch = (unsigned char) s[i];
                bool on_cmdline = kind == KIND_CMDLINE || kind == KIND_INIT;

                if (on_cmdline && ch == ' ')
                        return cfail(c, "%s contains a space (the kernel command line would split it)", name);
                if (ch == '\n' || ch == '\r')
                        return cfail(c, "%s contains a line break", name);
                if (ch < 0x20 || ch == 0x7f)
                        return cfail(c, "%s contains control character 0x%02x", name, ch);
                /* The kernel's isspace() is Latin-1: byte 0xa0 (which is in
                 * UTF-8 sequences such as U+00E0) separates parameters. */
                if (on_cmdline && ch == 0xa0)
                        return cfail(c, "%s contains byte 0xa0, a space to the kernel's command-line parser", name);
                if (ch == '"')
                        quotes++;
        }
        if ((kind == KIND_PATH || kind == KIND_INIT) && s[0] != '/')
                return cfail(c, "%s is not an absolute path", name);
        /* An open quote would make the kernel take the next parameters as
         * part of this one's value. */
        if ((kind == KIND_CMDLINE || kind == KIND_INIT) && quotes % 2)
                return cfail(c, "%s has an unbalanced double quote (the kernel would join it with what follows)",
                             name);
        return 0;
}

/* Reads member key of obj (a member of namespace ns) into *ret. An absent
 * optional member, or one that is null, leaves *ret NULL. */
static int get_string(struct ctx *c, json_object *obj, const char *ns, const char *key, bool required,
                      enum string_kind kind, char **ret) {
        char name[128];
        json_object *v;
        const char *s;
        size_t len;

        snprintf(name, sizeof(name), "%s.%s", ns, key);
        if (!json_object_object_get_ex(obj, key, &v) || (!required && json_object_is_type(v, json_type_null))) {
                if (required)
                        return cfail(c, "%s is missing", name);
                return 0;
        }
        if (!json_object_is_type(v, json_type_string))
                return cfail(c, "%s is not a string", name);
        s = json_object_get_string(v);
        len = (size_t) json_object_get_string_len(v);
        if (check_string(c, name, s, len, kind) < 0)
                return -1;
        *ret = strdup(s);
        if (!*ret)
                return cfail(c, "out of memory");
        return 0;
}

static void config_free(struct bootspec_config *cfg) {
        free(cfg->system);
        free(cfg->init);
        free(cfg->initrd);
        free(cfg->initrd_secrets);
        free(cfg->kernel);
        for (size_t i = 0; i < cfg->n_kernel_params; i++)
                free(cfg->kernel_params[i]);
        free(cfg->kernel_params);
        free(cfg->label);
        free(cfg->toplevel);
        free(cfg->sort_key);
        memset(cfg, 0, sizeof(*cfg));
}

static int get_kernel_params(struct ctx *c, json_object *v1, struct bootspec_config *cfg) {
        const char *name = NS_BOOTSPEC ".kernelParams";
        json_object *array;
        size_t n;

        if (!json_object_object_get_ex(v1, "kernelParams", &array))
                return cfail(c, "%s is missing", name);
        if (!json_object_is_type(array, json_type_array))
                return cfail(c, "%s is not an array", name);
        n = json_object_array_length(array);
        cfg->kernel_params = calloc(n ? n : 1, sizeof(char *));
        if (!cfg->kernel_params)
                return cfail(c, "out of memory");
        for (size_t i = 0; i < n; i++) {
                json_object *e = json_object_array_get_idx(array, i);
                char element[64];

                snprintf(element, sizeof(element), "%s[%zu]", name, i);
                if (!json_object_is_type(e, json_type_string))
                        return cfail(c, "%s is not a string", element);
                if (check_string(c, element, json_object_get_string(e), (size_t) json_object_get_string_len(e),
                                 KIND_CMDLINE) < 0)
                        return -1;
                cfg->kernel_params[i] = strdup(json_object_get_string(e));
                if (!cfg->kernel_params[i])
                        return cfail(c, "out of memory");
                cfg->n_kernel_params = i + 1;
        }
        return 0;
}

/* A BLS sort-key: "a short string of alphanumerical ASCII characters plus
 * '.', '_', '-'" (it goes into an entry's sort-key line). */
static int get_sort_key(struct ctx *c, json_object *doc, struct bootspec_config *cfg) {
        json_object *ns;

        if (!json_object_object_get_ex(doc, NS_SYSTEMD_BOOT, &ns) || json_object_is_type(ns, json_type_null))
                return 0;
        if (!json_object_is_type(ns, json_type_object))
                return cfail(c, "%s is not an object", NS_SYSTEMD_BOOT);
        if (get_string(c, ns, NS_SYSTEMD_BOOT, "sortKey", false, KIND_TEXT, &cfg->sort_key) < 0)
                return -1;
        for (const char *p = cfg->sort_key; p && *p; p++)
                if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
                      *p == '_' || *p == '-'))
                        return cfail(c, "%s.sortKey has a character outside [A-Za-z0-9._-]", NS_SYSTEMD_BOOT);
        return 0;
}

/* One document: the top level of boot.json, or a specialisation's value. */
static int parse_document(struct ctx *c, json_object *doc, struct bootspec_config *cfg) {
        json_object *v1;

        if (!json_object_object_get_ex(doc, NS_BOOTSPEC, &v1)) {
                if (json_object_object_get_ex(doc, PRE_RFC_KEY, NULL))
                        return cfail(c, "pre-RFC bootspec (key \"%s\"), not %s: rebuild the generation with NixOS "
                                     "23.05 or later", PRE_RFC_KEY, NS_BOOTSPEC);
                return cfail(c, "no %s object", NS_BOOTSPEC);
        }
        if (!json_object_is_type(v1, json_type_object))
                return cfail(c, "%s is not an object", NS_BOOTSPEC);
        if (get_string(c, v1, NS_BOOTSPEC, "system", true, KIND_TEXT, &cfg->system) < 0 ||
            get_string(c, v1, NS_BOOTSPEC, "init", true, KIND_INIT, &cfg->init) < 0 ||
            get_string(c, v1, NS_BOOTSPEC, "initrd", false, KIND_PATH, &cfg->initrd) < 0 ||
            get_string(c, v1, NS_BOOTSPEC, "initrdSecrets", false, KIND_PATH, &cfg->initrd_secrets) < 0 ||
            get_string(c, v1, NS_BOOTSPEC, "kernel", true, KIND_PATH, &cfg->kernel) < 0 ||
            get_kernel_params(c, v1, cfg) < 0 ||
            get_string(c, v1, NS_BOOTSPEC, "label", true, KIND_TEXT, &cfg->label) < 0 ||
            get_string(c, v1, NS_BOOTSPEC, "toplevel", true, KIND_PATH, &cfg->toplevel) < 0 ||
            get_sort_key(c, doc, cfg) < 0)
                return -1;
        return 0;
}

/* [A-Za-z0-9_.-]+ but "." and "..": a name becomes part of file names. */
static bool specialisation_name_valid(const char *name) {
        size_t n = strlen(name);

        if (n == 0 || n > BOOTSPEC_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                return false;
        for (size_t i = 0; i < n; i++) {
                char ch = name[i];
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '_' ||
                      ch == '.' || ch == '-'))
                        return false;
        }
        return true;
}

static int compare_specialisations(const void *a, const void *b) {
        return strcmp(((const struct bootspec_specialisation *) a)->name,
                      ((const struct bootspec_specialisation *) b)->name);
}

static int parse_specialisations(struct ctx *top, json_object *doc, struct bootspec *b) {
        json_object *ns;
        size_t n;

        if (!json_object_object_get_ex(doc, NS_SPECIALISATION, &ns) || json_object_is_type(ns, json_type_null))
                return 0;
        if (!json_object_is_type(ns, json_type_object))
                return cfail(top, "%s is not an object", NS_SPECIALISATION);
        n = (size_t) json_object_object_length(ns);
        if (n == 0)
                return 0;
        b->specialisations = calloc(n, sizeof(*b->specialisations));
        if (!b->specialisations)
                return cfail(top, "out of memory");

        json_object_object_foreach(ns, name, value) {
                struct bootspec_specialisation *s = &b->specialisations[b->n_specialisations];
                struct ctx c = { .error = top->error, .error_size = top->error_size };
                char what[SHOWN_MAX + 8];
                json_object *nested;

                shown(name, strlen(name), what);
                snprintf(c.prefix, sizeof(c.prefix), "specialisation \"%s\": ", what);
                if (!specialisation_name_valid(name))
                        return cfail(&c, "invalid name (wanted 1 to %u characters of [A-Za-z0-9_.-], not . or ..)",
                                     BOOTSPEC_NAME_MAX);
                if (!json_object_is_type(value, json_type_object))
                        return cfail(&c, "not an object");
                /* A specialisation's document carries its own (empty)
                 * specialisation namespace; one that is not empty would be a
                 * specialisation of a specialisation, which NixOS never
                 * builds and keel would not know how to name. */
                if (json_object_object_get_ex(value, NS_SPECIALISATION, &nested) &&
                    !json_object_is_type(nested, json_type_null)) {
                        if (!json_object_is_type(nested, json_type_object))
                                return cfail(&c, "%s is not an object", NS_SPECIALISATION);
                        if (json_object_object_length(nested) != 0)
                                return cfail(&c, "nested specialisations (its %s is not empty)", NS_SPECIALISATION);
                }
                s->name = strdup(name);
                if (!s->name)
                        return cfail(&c, "out of memory");
                b->n_specialisations++;
                if (parse_document(&c, value, &s->config) < 0)
                        return -1;
        }
        qsort(b->specialisations, b->n_specialisations, sizeof(*b->specialisations), compare_specialisations);
        return 0;
}

void bootspec_free(struct bootspec *b) {
        if (!b)
                return;
        config_free(&b->config);
        for (size_t i = 0; i < b->n_specialisations; i++) {
                free(b->specialisations[i].name);
                config_free(&b->specialisations[i].config);
        }
        free(b->specialisations);
        memset(b, 0, sizeof(*b));
}

int bootspec_parse(const char *json, size_t len, struct bootspec *ret, char *error, size_t error_size) {
        struct ctx c = { .error = error, .error_size = error_size };
        struct json_tokener *tok;
        json_object *root;
        enum json_tokener_error e;
        size_t end;
        int r = -1;

        memset(ret, 0, sizeof(*ret));
        if (len == 0)
                return fail(error, error_size, "empty document");
        if (len > BOOTSPEC_MAX_SIZE)
                return fail(error, error_size, "document of %zu bytes, over the limit of %u", len, BOOTSPEC_MAX_SIZE);
        /* json-c stops at a NUL as at the end of the text. */
        if (memchr(json, '\0', len))
                return fail(error, error_size, "NUL byte at offset %zu", (size_t) ((const char *) memchr(json, '\0', len) - json));

        tok = json_tokener_new_ex(JSON_DEPTH);
        if (!tok)
                return fail(error, error_size, "out of memory");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        root = json_tokener_parse_ex(tok, json, (int) len);
        e = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (!root && e == json_tokener_continue) {
                /* A top-level number or literal ends only at the end of the
                 * text, which json-c learns from a NUL. */
                root = json_tokener_parse_ex(tok, "", 1);
                e = json_tokener_get_error(tok);
                end = len;
        }
        json_tokener_free(tok);
        if (!root) {
                if (e == json_tokener_continue || e == json_tokener_error_parse_eof)
                        fail(error, error_size, "invalid JSON: the document ends early");
                else if (e == json_tokener_success)
                        fail(error, error_size, "top level is not a JSON object"); /* null */
                else
                        fail(error, error_size, "invalid JSON at byte %zu: %s", end, json_tokener_error_desc(e));
                return -1;
        }
        /* Strict mode refuses text after the value, but not whitespace: that is fine. */
        for (size_t i = end; i < len; i++)
                if (!strchr(" \t\r\n", json[i])) {
                        fail(error, error_size, "invalid JSON: text after the document at byte %zu", i);
                        goto out;
                }
        if (!json_object_is_type(root, json_type_object)) {
                fail(error, error_size, "top level is not a JSON object");
                goto out;
        }
        if (walk_text(json, len, error, error_size) < 0)
                goto out;
        if (parse_document(&c, root, &ret->config) < 0 || parse_specialisations(&c, root, ret) < 0) {
                bootspec_free(ret);
                goto out;
        }
        r = 0;
out:
        json_object_put(root);
        return r;
}

/* ------------------------------------------------------------------------ */
/* Generations. */

/* "system-N-link" with N a decimal number from 1 without leading zeros
 * (what nix writes), fitting an unsigned long. */
static bool parse_link_name(const char *name, size_t len, unsigned long *ret) {
        const char *prefix = "system-", *suffix = "-link";
        size_t lp = strlen(prefix), ls = strlen(suffix);
        unsigned long v = 0;

        if (len <= lp + ls || strncmp(name, prefix, lp) != 0 || strncmp(name + len - ls, suffix, ls) != 0)
                return false;
        name += lp;
        len -= lp + ls;
        if (name[0] == '0')
                return false;
        for (size_t i = 0; i < len; i++) {
                unsigned d;
                if (name[i] < '0' || name[i] > '9')
                        return false;
                d = (unsigned) (name[i] - '0');
                if (v > (ULONG_MAX - d) / 10)
                        return false;
                v = v * 10 + d;
        }
        *ret = v;
        return true;
}

int bootspec_generation_number(const char *path, const char *profiles_dir, unsigned long *ret, char *error,
                               size_t error_size) {
        size_t len = strlen(path), base;
        char *target, *candidate;
        unsigned long best = 0, n;
        bool found = false;
        struct dirent *de;
        DIR *d;

        while (len > 1 && path[len - 1] == '/')
                len--;
        base = len;
        while (base > 0 && path[base - 1] != '/')
                base--;
        if (parse_link_name(path + base, len - base, ret))
                return 0;

        if (!profiles_dir)
                profiles_dir = DEFAULT_PROFILES_DIR;
        target = realpath(path, NULL);
        if (!target)
                return fail(error, error_size, "%s: %s", path, strerror(errno));
        d = opendir(profiles_dir);
        if (!d) {
                fail(error, error_size, "%s: %s", profiles_dir, strerror(errno));
                free(target);
                return -1;
        }
        /* Two generations can be the same system (a rollback and a switch
         * back): the newest one names it. */
        while ((de = readdir(d))) {
                char *link;

                if (!parse_link_name(de->d_name, strlen(de->d_name), &n) || (found && n <= best))
                        continue;
                if (asprintf(&link, "%s/%s", profiles_dir, de->d_name) < 0)
                        continue;
                candidate = realpath(link, NULL);
                free(link);
                if (candidate && strcmp(candidate, target) == 0) {
                        best = n;
                        found = true;
                }
                free(candidate);
        }
        closedir(d);
        if (!found)
                fail(error, error_size, "%s: no system-N-link in %s points to %s", path, profiles_dir, target);
        free(target);
        if (!found)
                return -1;
        *ret = best;
        return 0;
}

int bootspec_load_generation(const char *path, const char *profiles_dir, struct bootspec *ret, char *error,
                             size_t error_size) {
        char *file, *data = NULL, reason[512];
        unsigned long generation;
        size_t size = 0;
        struct stat st;
        int fd, r = -1;

        memset(ret, 0, sizeof(*ret));
        if (asprintf(&file, "%s/boot.json", path) < 0)
                return fail(error, error_size, "out of memory");
        /* O_NONBLOCK: a FIFO named boot.json must not hang the install. */
        fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        free(file);
        if (fd < 0) {
                if (errno == ENOENT)
                        return fail(error, error_size, "no boot.json (a generation from before NixOS 23.05?)");
                return fail(error, error_size, "boot.json: %s", strerror(errno));
        }
        if (fstat(fd, &st) < 0) {
                fail(error, error_size, "boot.json: %s", strerror(errno));
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                fail(error, error_size, "boot.json is not a regular file");
                goto out;
        }
        if ((uint64_t) st.st_size > BOOTSPEC_MAX_SIZE) {
                fail(error, error_size, "boot.json is %jd bytes, over the limit of %u", (intmax_t) st.st_size,
                     BOOTSPEC_MAX_SIZE);
                goto out;
        }
        /* One byte more than the limit tells a file that grew since fstat. */
        data = malloc(BOOTSPEC_MAX_SIZE + 1);
        if (!data) {
                fail(error, error_size, "out of memory");
                goto out;
        }
        for (;;) {
                ssize_t k = read(fd, data + size, BOOTSPEC_MAX_SIZE + 1 - size);
                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        fail(error, error_size, "boot.json: %s", strerror(errno));
                        goto out;
                }
                if (k == 0)
                        break;
                size += (size_t) k;
                if (size > BOOTSPEC_MAX_SIZE) {
                        fail(error, error_size, "boot.json is over the limit of %u bytes", BOOTSPEC_MAX_SIZE);
                        goto out;
                }
        }
        if (bootspec_parse(data, size, ret, reason, sizeof(reason)) < 0) {
                fail(error, error_size, "boot.json: %s", reason);
                goto out;
        }
        if (bootspec_generation_number(path, profiles_dir, &generation, error, error_size) < 0) {
                bootspec_free(ret);
                goto out;
        }
        ret->generation = generation;
        r = 0;
out:
        free(data);
        close(fd);
        return r;
}

/* ------------------------------------------------------------------------ */

char *bootspec_cmdline(const struct bootspec_config *c) {
        size_t len = strlen("init=") + strlen(c->init), o;
        char *s;

        for (size_t i = 0; i < c->n_kernel_params; i++)
                len += 1 + strlen(c->kernel_params[i]);
        s = malloc(len + 1);
        if (!s)
                return NULL;
        o = (size_t) sprintf(s, "init=%s", c->init);
        for (size_t i = 0; i < c->n_kernel_params; i++) {
                size_t n = strlen(c->kernel_params[i]);
                s[o++] = ' ';
                memcpy(s + o, c->kernel_params[i], n);
                o += n;
        }
        s[o] = '\0';
        return s;
}

const char *bootspec_efi_arch(const char *system) {
        const struct keel_arch *a = keel_arch_from_nix_system(system);

        return a ? a->name : NULL;
}
