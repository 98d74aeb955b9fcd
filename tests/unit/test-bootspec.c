/* SPDX-License-Identifier: MIT */
/* The NixOS bootspec reader (host-tools/install/bootspec.c): a real-shaped
 * boot.json (tests/unit/fixtures/bootspec/boot.json, see its README), the
 * optional fields, every malformed document with the reason it must give,
 * generation numbers in a real temporary profile directory of symlinks, and
 * PATH/boot.json loading. */
#include "keel-test.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "host-tools/install/bootspec.h"

#define FIXTURE "tests/unit/fixtures/bootspec/boot.json"

/* The fixture's values, as written in it. */
#define FX_SYS "/nix/store/0jnlqlxsbll9clhmhbbi4yc5cgadrqr9-nixos-system-server-23.11.20240101.abcdef0"
#define FX_RESCUE "/nix/store/r7b1jx0s1fmk5a8dydf5yqk4h2hcbzxd-nixos-system-server-23.11.20240101.abcdef0"
#define FX_HARDENED "/nix/store/h5zk2yl9m3v1c6rjkjw3h4d9yq8j3l4f-nixos-system-server-23.11.20240101.abcdef0"
#define FX_KERNEL "/nix/store/9a7x1a9i6vrvh4b1m3ah4yddz1b7pq4b-linux-6.1.69/bzImage"
#define FX_INITRD "/nix/store/a3vb8ai6gf2fdxa3hn4l9smiw6cnpivi-initrd-linux-6.1.69/initrd"

/* ------------------------------------------------------------------------ */
/* Documents built from fields: the good ones, with one member replaced. */

struct field {
        const char *key, *value; /* value as JSON text */
};

static const struct field good_fields[] = {
        { "system", "\"x86_64-linux\"" },
        { "init", "\"/nix/store/aaaa-nixos-system-x/init\"" },
        { "initrd", "\"/nix/store/bbbb-initrd-linux-6.1/initrd\"" },
        { "initrdSecrets", "\"/nix/store/cccc-append-initrd-secrets/bin/append-initrd-secrets\"" },
        { "kernel", "\"/nix/store/dddd-linux-6.1/bzImage\"" },
        { "kernelParams", "[\"loglevel=4\", \"net.ifnames=0\"]" },
        { "label", "\"NixOS 23.11 (Linux 6.1.0)\"" },
        { "toplevel", "\"/nix/store/aaaa-nixos-system-x\"" },
};

/* The members of a good org.nixos.bootspec.v1 object, with key's value
 * replaced by value (NULL: left out). */
static char *members(const char *key, const char *value) {
        size_t size = 4096, o = 0;
        char *s = malloc(size);
        bool found = false;

        assert_non_null(s);
        s[0] = '\0';
        for (size_t i = 0; i < sizeof(good_fields) / sizeof(good_fields[0]); i++) {
                const char *v = good_fields[i].value;
                if (key && strcmp(key, good_fields[i].key) == 0) {
                        found = true;
                        v = value;
                        if (!v)
                                continue;
                }
                o += (size_t) snprintf(s + o, size - o, "%s\"%s\": %s", o ? ", " : "", good_fields[i].key, v);
        }
        if (key && !found && value)
                o += (size_t) snprintf(s + o, size - o, "%s\"%s\": %s", o ? ", " : "", key, value);
        assert_true(o < size);
        return s;
}

/* {"org.nixos.bootspec.v1": {members(key, value)} EXTRA} */
static char *doc(const char *key, const char *value, const char *extra) {
        char *m = members(key, value), *s;

        assert_true(asprintf(&s, "{\"org.nixos.bootspec.v1\": {%s}%s}", m, extra ? extra : "") > 0);
        free(m);
        return s;
}

/* A specialisation's document (good unless key/value say otherwise). */
static char *spec_doc(const char *key, const char *value, const char *extra) {
        return doc(key, value, extra);
}

static void assert_empty(const struct bootspec *b) {
        static const struct bootspec zero;
        assert_memory_equal(b, &zero, sizeof(zero));
}

/* Parses an exact heap copy of text (so ASan sees reads past len) and
 * expects the reason to contain want. */
static void assert_refused_len(const char *text, size_t len, const char *want) {
        char *copy = (char *) exact_copy(text, len), error[512];
        struct bootspec b;

        memset(&b, 0x5a, sizeof(b));
        strcpy(error, "untouched");
        if (bootspec_parse(copy, len, &b, error, sizeof(error)) == 0) {
                bootspec_free(&b);
                fail_msg("accepted: %.*s (wanted \"%s\")", (int) (len > 300 ? 300 : len), text, want);
        }
        if (!strstr(error, want))
                fail_msg("reason \"%s\", wanted \"%s\", for: %.*s", error, want, (int) (len > 300 ? 300 : len), text);
        /* One line of text: it goes into a log line. */
        assert_null(strchr(error, '\n'));
        assert_null(strchr(error, '\r'));
        assert_empty(&b);
        free(copy);
}

static void assert_refused(const char *text, const char *want) {
        assert_refused_len(text, strlen(text), want);
}

/* Takes ownership of text. */
static void assert_refused_free(char *text, const char *want) {
        assert_refused(text, want);
        free(text);
}

static void parse_ok(const char *text, struct bootspec *b) {
        char *copy = (char *) exact_copy(text, strlen(text)), error[512] = "";

        if (bootspec_parse(copy, strlen(text), b, error, sizeof(error)) < 0)
                fail_msg("refused (%s): %s", error, text);
        free(copy);
}

/* ------------------------------------------------------------------------ */

/* The fixture as a C string (slurp() does not terminate it). */
static char *fixture_text(void) {
        size_t size = 0;
        uint8_t *data = slurp(FIXTURE, &size);

        assert_non_null(data);
        data[size] = '\0';
        return (char *) data;
}

static void test_fixture(void **state) {
        char *text = fixture_text(), *cmdline;
        const struct bootspec_config *c;
        struct bootspec b;

        (void) state;
        parse_ok(text, &b);
        free(text);

        c = &b.config;
        assert_int_equal(b.generation, 0); /* only bootspec_load_generation() sets it */
        assert_string_equal(c->system, "x86_64-linux");
        assert_string_equal(c->init, FX_SYS "/init");
        assert_string_equal(c->initrd, FX_INITRD);
        assert_string_equal(c->initrd_secrets,
                            "/nix/store/q2gp0gkkh1zzhpkgk0sj6d9pwyw0dj5m-append-initrd-secrets/bin/append-initrd-secrets");
        assert_string_equal(c->kernel, FX_KERNEL);
        assert_int_equal(c->n_kernel_params, 3);
        assert_string_equal(c->kernel_params[0], "console=ttyS0,115200n8");
        assert_string_equal(c->kernel_params[1], "loglevel=4");
        assert_string_equal(c->kernel_params[2], "net.ifnames=0");
        assert_string_equal(c->label, "NixOS 23.11.20240101.abcdef0 (Linux 6.1.69)");
        assert_string_equal(c->toplevel, FX_SYS);
        assert_string_equal(c->sort_key, "nixos");
        cmdline = bootspec_cmdline(c);
        assert_string_equal(cmdline, "init=" FX_SYS "/init console=ttyS0,115200n8 loglevel=4 net.ifnames=0");
        free(cmdline);
        assert_string_equal(bootspec_efi_arch(c->system), "x64");

        /* "rescue" comes first in the file, "hardened" first by name. */
        assert_int_equal(b.n_specialisations, 2);
        assert_string_equal(b.specialisations[0].name, "hardened");
        assert_string_equal(b.specialisations[1].name, "rescue");
        c = &b.specialisations[0].config;
        assert_string_equal(c->toplevel, FX_HARDENED);
        assert_string_equal(c->kernel, "/nix/store/m2n4b6v8c0x2z4l6k8j0h2g4f6d8s0a2-linux-hardened-6.1.69/bzImage");
        assert_null(c->initrd_secrets);
        assert_string_equal(c->label, "NixOS 23.11.20240101.abcdef0 (Linux 6.1.69-hardened1)");
        cmdline = bootspec_cmdline(c);
        assert_string_equal(cmdline, "init=" FX_HARDENED "/init console=ttyS0,115200n8 lockdown=confidentiality");
        free(cmdline);
        c = &b.specialisations[1].config;
        assert_string_equal(c->toplevel, FX_RESCUE);
        assert_string_equal(c->initrd, FX_INITRD);
        assert_string_equal(c->sort_key, "nixos");
        cmdline = bootspec_cmdline(c);
        assert_string_equal(cmdline,
                            "init=" FX_RESCUE "/init console=ttyS0,115200n8 loglevel=7 systemd.unit=rescue.target");
        free(cmdline);

        bootspec_free(&b);
        assert_empty(&b);
        bootspec_free(&b); /* twice is harmless */
}

static void test_optional_fields_absent(void **state) {
        char *m, *text;
        struct bootspec b;

        (void) state;
        /* No initrd, no initrdSecrets, no other namespace at all. */
        m = members("initrd", NULL);
        assert_true(asprintf(&text, "{\"org.nixos.bootspec.v1\": {%s}}", m) > 0);
        free(m);
        {
                /* members() replaces one key: drop initrdSecrets by hand. */
                char *p = strstr(text, "\"initrdSecrets\"");
                char *end = strstr(p, ", ");
                memmove(p, end + 2, strlen(end + 2) + 1);
        }
        parse_ok(text, &b);
        assert_null(b.config.initrd);
        assert_null(b.config.initrd_secrets);
        assert_null(b.config.sort_key);
        assert_int_equal(b.n_specialisations, 0);
        assert_null(b.specialisations);
        assert_string_equal(b.config.kernel, "/nix/store/dddd-linux-6.1/bzImage");
        bootspec_free(&b);
        free(text);

        /* null for an optional member is "absent"; an empty specialisation
         * namespace is none. */
        text = doc("initrd", "null", ", \"org.nixos.specialisation.v1\": {}, \"org.nixos.systemd-boot\": {}");
        parse_ok(text, &b);
        assert_null(b.config.initrd);
        assert_string_equal(b.config.initrd_secrets,
                            "/nix/store/cccc-append-initrd-secrets/bin/append-initrd-secrets");
        assert_null(b.config.sort_key);
        assert_int_equal(b.n_specialisations, 0);
        bootspec_free(&b);
        free(text);

        /* All optional fields present. */
        text = doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": \"a-Z_0.9\"}");
        parse_ok(text, &b);
        assert_string_equal(b.config.initrd, "/nix/store/bbbb-initrd-linux-6.1/initrd");
        assert_string_equal(b.config.sort_key, "a-Z_0.9");
        bootspec_free(&b);
        free(text);
}

static void test_unknown_keys_ignored(void **state) {
        char *text;
        struct bootspec b;

        (void) state;
        /* Unknown members of v1, other namespaces (even one named like a
         * pre-RFC document inside), whitespace around the document. */
        text = doc("futureField", "{\"x\": [1, {\"y\": null}]}",
                   ", \"org.example.v9\": {\"v1\": 1}, \"v2\": [], \"org.nixos.bootspec.v2\": {\"kernel\": 5}");
        parse_ok(text, &b);
        assert_string_equal(b.config.label, "NixOS 23.11 (Linux 6.1.0)");
        bootspec_free(&b);
        free(text);

        /* A document with both "v1" and the RFC namespace is read as RFC. */
        text = doc(NULL, NULL, ", \"v1\": {\"kernel\": 1}");
        parse_ok(text, &b);
        bootspec_free(&b);
        free(text);

        parse_ok(" \n\t{\"org.nixos.bootspec.v1\": {\"system\": \"s\", \"init\": \"/i\", \"kernel\": \"/k\", "
                 "\"kernelParams\": [], \"label\": \"l\", \"toplevel\": \"/t\"}}\r\n \n",
                 &b);
        assert_int_equal(b.config.n_kernel_params, 0);
        {
                char *cmdline = bootspec_cmdline(&b.config);
                assert_string_equal(cmdline, "init=/i");
                free(cmdline);
        }
        bootspec_free(&b);
}

static void test_strings_allowed(void **state) {
        char *text;
        struct bootspec b;

        (void) state;
        /* UTF-8 in the label, escapes, a surrogate pair, balanced quotes in a
         * parameter (the kernel's own quoting). */
        text = doc("label", "\"NixOS \\u00e9t\\u00e9 \\ud83d\\ude00 \xe2\x82\xac \\\"x\\\"\"",
                   NULL);
        parse_ok(text, &b);
        assert_string_equal(b.config.label, "NixOS \xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80 \xe2\x82\xac \"x\"");
        bootspec_free(&b);
        free(text);

        text = doc("kernelParams", "[\"dyndbg=\\\"+p\\\"\", \"a=\\u0062\", \"\\/x\"]", NULL);
        parse_ok(text, &b);
        assert_int_equal(b.config.n_kernel_params, 3);
        assert_string_equal(b.config.kernel_params[0], "dyndbg=\"+p\"");
        assert_string_equal(b.config.kernel_params[1], "a=b");
        assert_string_equal(b.config.kernel_params[2], "/x");
        bootspec_free(&b);
        free(text);
}

/* ------------------------------------------------------------------------ */

static void test_refused_syntax(void **state) {
        char *big;

        (void) state;
        assert_refused("", "empty document");
        assert_refused("{", "ends early");
        assert_refused("{\"org.nixos.bootspec.v1\": {\"a\": [1, 2", "ends early");
        assert_refused("{\"a\": }", "invalid JSON at byte");
        assert_refused("{} x", "invalid JSON");
        assert_refused("{}{}", "invalid JSON");
        assert_refused("/* c */ {}", "invalid JSON");
        assert_refused("{\"a\": 'x'}", "invalid JSON");
        assert_refused("{\"a\": 1,}", "invalid JSON");
        assert_refused("\xef\xbb\xbf{}", "invalid JSON");
        assert_refused("{\"a\": \"\xff\"}", "invalid JSON");
        assert_refused("[]", "top level is not a JSON object");
        assert_refused("null", "top level is not a JSON object");
        assert_refused("\"x\"", "top level is not a JSON object");
        assert_refused_len("{}\0", 3, "NUL byte at offset 2");
        assert_refused_len("{\"a\": \"x\0y\"}", 12, "NUL byte at offset 8");
        assert_refused("{}", "no org.nixos.bootspec.v1 object");

        /* 40 levels in an ignored namespace: past json-c's limit. */
        big = malloc(256);
        assert_non_null(big);
        strcpy(big, "{\"x\": ");
        for (int i = 0; i < 40; i++)
                strcat(big, "[");
        for (int i = 0; i < 40; i++)
                strcat(big, "]");
        strcat(big, "}");
        assert_refused_free(big, "invalid JSON");

        /* Over 1 MiB, even when it is a good document padded with spaces. */
        {
                char *d = doc(NULL, NULL, NULL);
                size_t n = BOOTSPEC_MAX_SIZE + 1, dl = strlen(d);
                struct bootspec b;
                char error[256];

                big = malloc(n);
                assert_non_null(big);
                memset(big, ' ', n);
                memcpy(big, d, dl);
                assert_refused_len(big, n, "over the limit");
                /* Exactly the limit is fine. */
                assert_int_equal(bootspec_parse(big, n - 1, &b, error, sizeof(error)), 0);
                bootspec_free(&b);
                free(big);
                free(d);
        }
}

static void test_refused_pre_rfc(void **state) {
        char *m = members(NULL, NULL), *text;

        (void) state;
        assert_true(asprintf(&text, "{\"v1\": {%s, \"specialisation\": {}}}", m) > 0);
        assert_refused(text, "pre-RFC bootspec (key \"v1\"), not org.nixos.bootspec.v1");
        free(text);
        assert_true(asprintf(&text,
                             "{\"org.nixos.bootspec.v1\": {%s}, \"org.nixos.specialisation.v1\": "
                             "{\"old\": {\"v1\": {%s}}}}",
                             m, m) > 0);
        assert_refused(text, "specialisation \"old\": pre-RFC bootspec");
        free(text);
        free(m);
}

static void test_refused_fields(void **state) {
        static const char *required[] = { "system", "init", "kernel", "kernelParams", "label", "toplevel" };
        static const char *strings[] = { "system", "init", "initrd", "initrdSecrets", "kernel", "label", "toplevel" };
        static const char *paths[] = { "init", "initrd", "initrdSecrets", "kernel", "toplevel" };
        char want[128];

        (void) state;
        assert_refused("{\"org.nixos.bootspec.v1\": []}", "org.nixos.bootspec.v1 is not an object");
        assert_refused("{\"org.nixos.bootspec.v1\": null}", "org.nixos.bootspec.v1 is not an object");

        for (size_t i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s is missing", required[i]);
                assert_refused_free(doc(required[i], NULL, NULL), want);
        }
        for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
                static const char *wrong[] = { "1", "true", "[\"/x\"]", "{}", "1.5" };
                for (size_t k = 0; k < sizeof(wrong) / sizeof(wrong[0]); k++) {
                        snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s is not a string", strings[i]);
                        assert_refused_free(doc(strings[i], wrong[k], NULL), want);
                }
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s is empty", strings[i]);
                assert_refused_free(doc(strings[i], "\"\"", NULL), want);
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s contains a NUL character", strings[i]);
                assert_refused_free(doc(strings[i], "\"/a\\u0000b\"", NULL), want);
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s is not valid UTF-8", strings[i]);
                /* Overlong '/', an encoded surrogate: json-c lets both through. */
                assert_refused_free(doc(strings[i], "\"/a\xc0\xaf\"", NULL), want);
                assert_refused_free(doc(strings[i], "\"/a\xed\xa0\x80\"", NULL), want);
                assert_refused_free(doc(strings[i], "\"/a\xf4\x90\x80\x80\"", NULL), want);
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s contains a line break", strings[i]);
                assert_refused_free(doc(strings[i], "\"/a\\nb\"", NULL), want);
                assert_refused_free(doc(strings[i], "\"/a\\rb\"", NULL), want);
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s contains control character 0x1b", strings[i]);
                assert_refused_free(doc(strings[i], "\"/a\\u001bb\"", NULL), want);
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s contains control character 0x7f", strings[i]);
                assert_refused_free(doc(strings[i], "\"/a\x7f\"", NULL), want);
                snprintf(want, sizeof(want), "invalid string in org.nixos.bootspec.v1.%s: a lone UTF-16 high",
                         strings[i]);
                assert_refused_free(doc(strings[i], "\"/a\\ud800\"", NULL), want);
                assert_refused_free(doc(strings[i], "\"/a\\ud800\\u0041\"", NULL), want);
                snprintf(want, sizeof(want), "invalid string in org.nixos.bootspec.v1.%s: a lone UTF-16 low",
                         strings[i]);
                assert_refused_free(doc(strings[i], "\"/a\\udc00\"", NULL), want);
        }
        /* null is "absent" only for optional members. */
        assert_refused_free(doc("kernel", "null", NULL), "org.nixos.bootspec.v1.kernel is not a string");
        for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
                snprintf(want, sizeof(want), "org.nixos.bootspec.v1.%s is not an absolute path", paths[i]);
                assert_refused_free(doc(paths[i], "\"nix/store/x\"", NULL), want);
                assert_refused_free(doc(paths[i], "\"./x\"", NULL), want);
        }
        /* init goes onto the command line as init=PATH. */
        assert_refused_free(doc("init", "\"/nix/store/a b/init\"", NULL),
                            "org.nixos.bootspec.v1.init contains a space");
        assert_refused_free(doc("init", "\"/nix/store/\\u00e0/init\"", NULL),
                            "org.nixos.bootspec.v1.init contains byte 0xa0");
        assert_refused_free(doc("init", "\"/nix/\\\"store/init\"", NULL),
                            "org.nixos.bootspec.v1.init has an unbalanced double quote");
        /* Elsewhere spaces are fine. */
        {
                struct bootspec b;
                char *text = doc("kernel", "\"/boot/my kernel\"", NULL);
                parse_ok(text, &b);
                bootspec_free(&b);
                free(text);
        }
}

static void test_refused_kernel_params(void **state) {
        (void) state;
        assert_refused_free(doc("kernelParams", "\"quiet\"", NULL), "org.nixos.bootspec.v1.kernelParams is not an array");
        assert_refused_free(doc("kernelParams", "{}", NULL), "org.nixos.bootspec.v1.kernelParams is not an array");
        assert_refused_free(doc("kernelParams", "null", NULL), "org.nixos.bootspec.v1.kernelParams is not an array");
        assert_refused_free(doc("kernelParams", "[1]", NULL), "org.nixos.bootspec.v1.kernelParams[0] is not a string");
        assert_refused_free(doc("kernelParams", "[\"a\", null]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[1] is not a string");
        assert_refused_free(doc("kernelParams", "[\"a\", [\"b\"]]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[1] is not a string");
        assert_refused_free(doc("kernelParams", "[\"a\", \"\"]", NULL), "org.nixos.bootspec.v1.kernelParams[1] is empty");
        assert_refused_free(doc("kernelParams", "[\"a b\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] contains a space");
        assert_refused_free(doc("kernelParams", "[\" a\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] contains a space");
        assert_refused_free(doc("kernelParams", "[\"a\", \"b\\nc\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[1] contains a line break");
        assert_refused_free(doc("kernelParams", "[\"b\\r\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] contains a line break");
        assert_refused_free(doc("kernelParams", "[\"a\\tb\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] contains control character 0x09");
        assert_refused_free(doc("kernelParams", "[\"a\\u000bb\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] contains control character 0x0b");
        /* U+00A0 and U+00E0 both end in byte 0xa0, a space to the kernel. */
        assert_refused_free(doc("kernelParams", "[\"a\\u00a0b\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] contains byte 0xa0");
        assert_refused_free(doc("kernelParams", "[\"x=\xc3\xa0\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] contains byte 0xa0");
        assert_refused_free(doc("kernelParams", "[\"a=\\\"x\", \"b=y\\\"\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] has an unbalanced double quote");
        assert_refused_free(doc("kernelParams", "[\"a\", \"\\u0000\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[1] contains a NUL character");
        assert_refused_free(doc("kernelParams", "[\"\xc0\xaf\"]", NULL),
                            "org.nixos.bootspec.v1.kernelParams[0] is not valid UTF-8");
        assert_refused_free(doc("kernelParams", "[\"a\", \"\\udfff\"]", NULL),
                            "invalid string in org.nixos.bootspec.v1.kernelParams[1]: a lone UTF-16 low surrogate");
}

static void test_refused_duplicates(void **state) {
        char *text;

        (void) state;
        /* json-c alone keeps the last kernel, another reader the first. */
        assert_refused_free(doc("kernel", "\"/k1\", \"kernel\": \"/k2\"", NULL),
                            "duplicate key \"kernel\" in org.nixos.bootspec.v1");
        /* The same key spelled with an escape. */
        assert_refused_free(doc("kernel", "\"/k1\", \"kern\\u0065l\": \"/k2\"", NULL),
                            "duplicate key \"kernel\" in org.nixos.bootspec.v1");
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.bootspec.v1\": {}"),
                            "duplicate key \"org.nixos.bootspec.v1\" at the top level");
        /* Also in a namespace keel ignores, and inside arrays of objects. */
        assert_refused_free(doc(NULL, NULL, ", \"org.example\": {\"a\": [{\"b\": 1}, {\"c\": 1, \"c\": 2}]}"),
                            "duplicate key \"c\" in org.example.a[1]");
        /* Same key in different objects is fine. */
        {
                struct bootspec b;
                text = doc(NULL, NULL, ", \"x\": {\"kernel\": 1, \"y\": {\"kernel\": 2}}, \"z\": [{\"k\": 1}, {\"k\": 2}]");
                parse_ok(text, &b);
                bootspec_free(&b);
                free(text);
        }
        /* json-c cuts keys at a NUL, so "kernel\u0000x" would be a second kernel. */
        assert_refused_free(doc("kernel", "\"/k1\", \"kernel\\u0000x\": \"/k2\"", NULL),
                            "key \"kernel\\x00x\" in org.nixos.bootspec.v1 contains a NUL character");
        assert_refused_free(doc(NULL, NULL, ", \"\\u0000\": 1"), "key \"\\x00\" at the top level contains a NUL");
        /* A lone surrogate in a key. */
        assert_refused_free(doc(NULL, NULL, ", \"a\\ud800\": 1"), "invalid string: a lone UTF-16 high surrogate");
        /* Duplicate specialisation names. */
        {
                char *s = spec_doc(NULL, NULL, NULL);
                assert_true(asprintf(&text, "{\"org.nixos.bootspec.v1\": {\"label\": \"x\"}, "
                                            "\"org.nixos.specialisation.v1\": {\"a\": %s, \"a\": %s}}", s, s) > 0);
                assert_refused_free(text, "duplicate key \"a\" in org.nixos.specialisation.v1");
                free(s);
        }
}

/* A good top-level document with the given specialisation namespace text. */
static char *with_specialisations(const char *ns) {
        char *extra, *text;

        assert_true(asprintf(&extra, ", \"org.nixos.specialisation.v1\": %s", ns) > 0);
        text = doc(NULL, NULL, extra);
        free(extra);
        return text;
}

/* ... with one specialisation NAME (JSON text, quoted) whose document is d. */
static char *with_one(const char *name, const char *d) {
        char *ns, *text;

        assert_true(asprintf(&ns, "{%s: %s}", name, d) > 0);
        text = with_specialisations(ns);
        free(ns);
        return text;
}

static void test_specialisations(void **state) {
        char *s1, *s2, *s3, *ns, *text;
        struct bootspec b;

        (void) state;
        s1 = spec_doc("label", "\"one\"", ", \"org.nixos.specialisation.v1\": {}");
        s2 = spec_doc("label", "\"two\"", NULL); /* no nested namespace at all */
        s3 = spec_doc("label", "\"three\"",
                      ", \"org.nixos.specialisation.v1\": null, \"org.nixos.systemd-boot\": {\"sortKey\": \"zz\"}");
        assert_true(asprintf(&ns, "{\"zeta\": %s, \"Alpha\": %s, \"alpha.2-x_y\": %s}", s1, s2, s3) > 0);
        text = with_specialisations(ns);
        parse_ok(text, &b);
        /* Byte order: uppercase first. */
        assert_int_equal(b.n_specialisations, 3);
        assert_string_equal(b.specialisations[0].name, "Alpha");
        assert_string_equal(b.specialisations[0].config.label, "two");
        assert_null(b.specialisations[0].config.sort_key);
        assert_string_equal(b.specialisations[1].name, "alpha.2-x_y");
        assert_string_equal(b.specialisations[1].config.label, "three");
        assert_string_equal(b.specialisations[1].config.sort_key, "zz");
        assert_string_equal(b.specialisations[2].name, "zeta");
        assert_string_equal(b.specialisations[2].config.label, "one");
        assert_string_equal(b.specialisations[2].config.kernel, "/nix/store/dddd-linux-6.1/bzImage");
        assert_null(b.config.sort_key);
        bootspec_free(&b);
        free(text);
        free(ns);
        free(s1);
        free(s2);
        free(s3);

        /* A name of BOOTSPEC_NAME_MAX characters is fine, one more is not. */
        {
                char name[BOOTSPEC_NAME_MAX + 4];
                s1 = spec_doc(NULL, NULL, NULL);
                memset(name, 'n', sizeof(name));
                name[0] = '"';
                name[BOOTSPEC_NAME_MAX + 1] = '"';
                name[BOOTSPEC_NAME_MAX + 2] = '\0';
                text = with_one(name, s1);
                parse_ok(text, &b);
                assert_int_equal(strlen(b.specialisations[0].name), BOOTSPEC_NAME_MAX);
                bootspec_free(&b);
                free(text);
                name[BOOTSPEC_NAME_MAX + 1] = 'n';
                name[BOOTSPEC_NAME_MAX + 2] = '"';
                name[BOOTSPEC_NAME_MAX + 3] = '\0';
                assert_refused_free(with_one(name, s1), "invalid name");
                free(s1);
        }
}

static void test_refused_specialisations(void **state) {
        static const struct {
                const char *name; /* JSON text */
                const char *shown;
        } bad_names[] = {
                { "\"x/y\"", "specialisation \"x/y\": invalid name" },
                { "\"..\"", "specialisation \"..\": invalid name" },
                { "\".\"", "specialisation \".\": invalid name" },
                { "\"a b\"", "specialisation \"a b\": invalid name" },
                { "\"\"", "specialisation \"\": invalid name" },
                { "\"a\\nb\"", "specialisation \"a\\x0ab\": invalid name" },
                { "\"a\\\"b\"", "specialisation \"a\\x22b\": invalid name" },
                { "\"\\u00e9\"", "specialisation \"\\xc3\\xa9\": invalid name" },
                { "\"a\\\\b\"", "specialisation \"a\\x5cb\": invalid name" },
        };
        char *good = spec_doc(NULL, NULL, NULL), *bad;

        (void) state;
        for (size_t i = 0; i < sizeof(bad_names) / sizeof(bad_names[0]); i++)
                assert_refused_free(with_one(bad_names[i].name, good), bad_names[i].shown);
        assert_refused_free(with_specialisations("[]"), "org.nixos.specialisation.v1 is not an object");
        assert_refused_free(with_specialisations("\"x\""), "org.nixos.specialisation.v1 is not an object");
        assert_refused_free(with_one("\"a\"", "[]"), "specialisation \"a\": not an object");
        assert_refused_free(with_one("\"a\"", "null"), "specialisation \"a\": not an object");
        assert_refused_free(with_one("\"a\"", "{}"), "specialisation \"a\": no org.nixos.bootspec.v1 object");
        assert_refused_free(with_one("\"a\"", "{\"org.nixos.bootspec.v1\": 1}"),
                            "specialisation \"a\": org.nixos.bootspec.v1 is not an object");

        /* A bad field in a specialisation names the specialisation. */
        bad = spec_doc("kernel", "5", NULL);
        assert_refused_free(with_one("\"rescue\"", bad), "specialisation \"rescue\": org.nixos.bootspec.v1.kernel is not a string");
        free(bad);
        bad = spec_doc("kernelParams", "[\"a b\"]", NULL);
        assert_refused_free(with_one("\"rescue\"", bad),
                            "specialisation \"rescue\": org.nixos.bootspec.v1.kernelParams[0] contains a space");
        free(bad);
        bad = spec_doc("toplevel", NULL, NULL);
        assert_refused_free(with_one("\"rescue\"", bad), "specialisation \"rescue\": org.nixos.bootspec.v1.toplevel is missing");
        free(bad);

        /* Nesting: the inner namespace must be empty (or absent, or null). */
        {
                char *inner, *nested;
                assert_true(asprintf(&inner, ", \"org.nixos.specialisation.v1\": {\"deeper\": %s}", good) > 0);
                nested = spec_doc(NULL, NULL, inner);
                assert_refused_free(with_one("\"outer\"", nested),
                                    "specialisation \"outer\": nested specialisations");
                free(nested);
                free(inner);
        }
        bad = spec_doc(NULL, NULL, ", \"org.nixos.specialisation.v1\": []");
        assert_refused_free(with_one("\"outer\"", bad),
                            "specialisation \"outer\": org.nixos.specialisation.v1 is not an object");
        free(bad);
        bad = spec_doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": \"a b\"}");
        assert_refused_free(with_one("\"s\"", bad),
                            "specialisation \"s\": org.nixos.systemd-boot.sortKey has a character outside");
        free(bad);
        free(good);
}

static void test_refused_sort_key(void **state) {
        (void) state;
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.systemd-boot\": []"), "org.nixos.systemd-boot is not an object");
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": 1}"),
                            "org.nixos.systemd-boot.sortKey is not a string");
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": \"\"}"),
                            "org.nixos.systemd-boot.sortKey is empty");
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": \"a b\"}"),
                            "org.nixos.systemd-boot.sortKey has a character outside [A-Za-z0-9._-]");
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": \"a\\nb\"}"),
                            "org.nixos.systemd-boot.sortKey contains a line break");
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": \"a/b\"}"),
                            "org.nixos.systemd-boot.sortKey has a character outside");
        assert_refused_free(doc(NULL, NULL, ", \"org.nixos.systemd-boot\": {\"sortKey\": \"\\u00e9\"}"),
                            "org.nixos.systemd-boot.sortKey has a character outside");
}

/* A reason is cut to the buffer, never written past it; no buffer at all is fine. */
static void test_error_buffer(void **state) {
        char error[8], *text = doc("kernel", "5", NULL);
        struct bootspec b;
        unsigned long n;

        (void) state;
        memset(error, 'x', sizeof(error));
        assert_int_equal(bootspec_parse(text, strlen(text), &b, error, 5), -1);
        assert_string_equal(error, "org.");
        assert_int_equal(error[5], 'x');
        assert_int_equal(bootspec_parse(text, strlen(text), &b, NULL, 0), -1);
        assert_empty(&b);
        assert_int_equal(bootspec_generation_number("/nonexistent/x", "/nonexistent", &n, NULL, 0), -1);
        free(text);
}

/* ------------------------------------------------------------------------ */
/* Generations, in a real directory: TMP/store/{a,b,c,d} and TMP/profiles. */

struct tree {
        char root[64];
        char store[96], profiles[96];
};

static void put(const char *path, const char *text) {
        FILE *f = fopen(path, "w");
        assert_non_null(f);
        assert_int_equal(fputs(text, f) >= 0, 1);
        assert_int_equal(fclose(f), 0);
}

static void at(char *out, size_t size, const char *dir, const char *name) {
        assert_true((size_t) snprintf(out, size, "%s/%s", dir, name) < size);
}

static void tree_link(struct tree *t, const char *target, const char *name) {
        char path[256];
        at(path, sizeof(path), t->profiles, name);
        assert_int_equal(symlink(target, path), 0);
}

static void tree_make(struct tree *t) {
        static const char *systems[] = { "a", "b", "c", "d" };
        char path[256], abs_b[256];

        strcpy(t->root, "/tmp/keel-test-bootspec.XXXXXX");
        assert_non_null(mkdtemp(t->root));
        at(t->store, sizeof(t->store), t->root, "store");
        at(t->profiles, sizeof(t->profiles), t->root, "profiles");
        assert_int_equal(mkdir(t->store, 0755), 0);
        assert_int_equal(mkdir(t->profiles, 0755), 0);
        for (size_t i = 0; i < sizeof(systems) / sizeof(systems[0]); i++) {
                at(path, sizeof(path), t->store, systems[i]);
                assert_int_equal(mkdir(path, 0755), 0);
        }
        /* As nix makes them: relative and absolute links, the profile link
         * to the newest generation link, and two generations of one system. */
        tree_link(t, "../store/a", "system-1-link");
        at(abs_b, sizeof(abs_b), t->store, "b");
        tree_link(t, abs_b, "system-2-link");
        tree_link(t, "system-2-link", "system");
        tree_link(t, "../store/d", "system-4-link");
        tree_link(t, "../store/d/", "system-10-link");
        tree_link(t, "../store/d", "system-9-link");
        /* What the lookup must pass over. */
        tree_link(t, "../store/gone", "system-3-link");
        tree_link(t, "../store/c", "system-0x1-link");
        tree_link(t, "../store/c", "system-01-link");
        tree_link(t, "../store/c", "system--link");
        tree_link(t, "../store/c", "system-0-link");
        tree_link(t, "../store/c", "system-18446744073709551616-link");
        tree_link(t, "../store/c", "system-5-link.tmp");
        tree_link(t, "../store/c", "other-6-link");
}

static void tree_remove(struct tree *t) {
        char cmd[160];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->root);
        assert_int_equal(system(cmd), 0);
}

static void assert_generation(const char *path, const char *profiles, unsigned long want) {
        char error[512] = "";
        unsigned long n = 12345;

        if (bootspec_generation_number(path, profiles, &n, error, sizeof(error)) < 0)
                fail_msg("%s: %s", path, error);
        assert_int_equal(n, want);
}

static void assert_no_generation(const char *path, const char *profiles, const char *want) {
        char error[512] = "";
        unsigned long n = 12345;

        if (bootspec_generation_number(path, profiles, &n, error, sizeof(error)) == 0)
                fail_msg("%s: generation %lu, wanted \"%s\"", path, n, want);
        if (!strstr(error, want))
                fail_msg("%s: \"%s\", wanted \"%s\"", path, error, want);
        assert_int_equal(n, 12345);
}

static void test_generation_names(void **state) {
        (void) state;
        /* By name alone: the path need not exist. */
        assert_generation("/nix/var/nix/profiles/system-42-link", "/nonexistent", 42);
        assert_generation("system-1-link", "/nonexistent", 1);
        assert_generation("/nix/var/nix/profiles/system-7-link/", "/nonexistent", 7);
        assert_generation("/nix/var/nix/profiles/system-7-link//", "/nonexistent", 7);
        assert_generation("/x/system-18446744073709551615-link", "/nonexistent", ULONG_MAX);

        /* Not names of a generation: looked up instead, and not found. */
        assert_no_generation("/nonexistent/system--link", "/nonexistent", "/nonexistent/system--link");
        assert_no_generation("/nonexistent/system-0x1-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system-042-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system-0-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system-18446744073709551616-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system-1-link.tmp", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/System-1-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system-+1-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system- 1-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system-1-link-link", "/nonexistent", "No such file");
        assert_no_generation("/nonexistent/system-1", "/nonexistent", "No such file");
}

static void test_generation_lookup(void **state) {
        char path[256], real_c[PATH_MAX];
        struct tree t;

        (void) state;
        tree_make(&t);
        at(path, sizeof(path), t.store, "a");
        assert_generation(path, t.profiles, 1);
        at(path, sizeof(path), t.store, "b");
        assert_generation(path, t.profiles, 2);
        at(path, sizeof(path), t.store, "b/");
        assert_generation(path, t.profiles, 2);
        /* The profile itself (a link to a link). */
        at(path, sizeof(path), t.profiles, "system");
        assert_generation(path, t.profiles, 2);
        /* Three generations of d: the newest (10, not 9 by string order). */
        at(path, sizeof(path), t.store, "d");
        assert_generation(path, t.profiles, 10);
        /* c is only behind links that are not generation names. */
        at(path, sizeof(path), t.store, "c");
        assert_non_null(realpath(path, real_c));
        {
                char want[PATH_MAX + 256];
                snprintf(want, sizeof(want), "no system-N-link in %s points to %s", t.profiles, real_c);
                assert_no_generation(path, t.profiles, want);
        }
        at(path, sizeof(path), t.profiles, "system-0x1-link");
        assert_no_generation(path, t.profiles, "no system-N-link in");
        /* A generation's name is enough, even when it dangles. */
        at(path, sizeof(path), t.profiles, "system-3-link");
        assert_generation(path, t.profiles, 3);
        at(path, sizeof(path), t.store, "a");
        assert_no_generation(path, "/nonexistent-profiles", "/nonexistent-profiles: No such file");
        at(path, sizeof(path), t.store, "a");
        assert_no_generation(path, t.store, "no system-N-link in");
        tree_remove(&t);
}

/* ------------------------------------------------------------------------ */

static void assert_load_refused(const char *path, const char *profiles, const char *want) {
        char error[512] = "";
        struct bootspec b;

        memset(&b, 0x5a, sizeof(b));
        if (bootspec_load_generation(path, profiles, &b, error, sizeof(error)) == 0) {
                bootspec_free(&b);
                fail_msg("%s: loaded, wanted \"%s\"", path, want);
        }
        if (!strstr(error, want))
                fail_msg("%s: \"%s\", wanted \"%s\"", path, error, want);
        assert_null(strchr(error, '\n'));
        assert_empty(&b);
}

static void test_load_generation(void **state) {
        char path[256], file[300], error[512] = "", *good, *big;
        struct bootspec b;
        struct tree t;
        char *fx = fixture_text();

        (void) state;
        tree_make(&t);
        at(path, sizeof(path), t.store, "b");
        at(file, sizeof(file), path, "boot.json");
        put(file, fx);
        free(fx);

        /* Through the generation link, the profile link and the store path. */
        at(path, sizeof(path), t.profiles, "system-2-link");
        if (bootspec_load_generation(path, t.profiles, &b, error, sizeof(error)) < 0)
                fail_msg("%s", error);
        assert_int_equal(b.generation, 2);
        assert_string_equal(b.config.toplevel, FX_SYS);
        assert_int_equal(b.n_specialisations, 2);
        bootspec_free(&b);
        at(path, sizeof(path), t.profiles, "system");
        assert_int_equal(bootspec_load_generation(path, t.profiles, &b, error, sizeof(error)), 0);
        assert_int_equal(b.generation, 2);
        bootspec_free(&b);
        at(path, sizeof(path), t.store, "b");
        assert_int_equal(bootspec_load_generation(path, t.profiles, &b, error, sizeof(error)), 0);
        assert_int_equal(b.generation, 2);
        bootspec_free(&b);

        /* a: no boot.json (an old generation). */
        at(path, sizeof(path), t.profiles, "system-1-link");
        assert_load_refused(path, t.profiles, "no boot.json");
        /* A good boot.json in a system no generation link names. */
        good = doc(NULL, NULL, NULL);
        at(path, sizeof(path), t.store, "c");
        at(file, sizeof(file), path, "boot.json");
        put(file, good);
        assert_load_refused(path, t.profiles, "no system-N-link in");
        /* d: bad documents, each with "boot.json: REASON". */
        at(path, sizeof(path), t.store, "d");
        at(file, sizeof(file), path, "boot.json");
        put(file, "{\"v1\": {}}");
        assert_load_refused(path, t.profiles, "boot.json: pre-RFC bootspec");
        put(file, "{\"org.nixos.bootspec.v1\": ");
        assert_load_refused(path, t.profiles, "boot.json: invalid JSON");
        put(file, "");
        assert_load_refused(path, t.profiles, "boot.json: empty document");
        /* One byte over the limit; then exactly at it, which loads. */
        big = malloc(BOOTSPEC_MAX_SIZE + 2);
        assert_non_null(big);
        memset(big, ' ', BOOTSPEC_MAX_SIZE + 1);
        memcpy(big, good, strlen(good));
        big[BOOTSPEC_MAX_SIZE + 1] = '\0';
        put(file, big);
        assert_load_refused(path, t.profiles, "boot.json is 1048577 bytes, over the limit of 1048576");
        big[BOOTSPEC_MAX_SIZE] = '\0';
        put(file, big);
        assert_int_equal(bootspec_load_generation(path, t.profiles, &b, error, sizeof(error)), 0);
        assert_int_equal(b.generation, 10);
        bootspec_free(&b);
        free(big);
        /* Not a regular file: a directory, a FIFO (which must not hang). */
        assert_int_equal(unlink(file), 0);
        assert_int_equal(mkdir(file, 0755), 0);
        assert_load_refused(path, t.profiles, "boot.json is not a regular file");
        assert_int_equal(rmdir(file), 0);
        assert_int_equal(mkfifo(file, 0644), 0);
        assert_load_refused(path, t.profiles, "boot.json is not a regular file");
        assert_int_equal(unlink(file), 0);
        /* A dangling boot.json link, and a generation that is not a directory. */
        assert_int_equal(symlink("nowhere", file), 0);
        assert_load_refused(path, t.profiles, "no boot.json");
        assert_int_equal(unlink(file), 0);
        at(path, sizeof(path), t.root, "plain-file");
        put(path, "x");
        assert_load_refused(path, t.profiles, "boot.json: Not a directory");
        free(good);
        tree_remove(&t);
}

static void test_cmdline_and_arch(void **state) {
        char *params[] = { "loglevel=4", "net.ifnames=0", "quiet" };
        struct bootspec_config c = { .init = "/nix/store/x-sys/init", .kernel_params = params };
        char *s;

        (void) state;
        for (size_t n = 0; n <= 3; n++) {
                static const char *want[] = {
                        "init=/nix/store/x-sys/init",
                        "init=/nix/store/x-sys/init loglevel=4",
                        "init=/nix/store/x-sys/init loglevel=4 net.ifnames=0",
                        "init=/nix/store/x-sys/init loglevel=4 net.ifnames=0 quiet",
                };
                c.n_kernel_params = n;
                s = bootspec_cmdline(&c);
                assert_string_equal(s, want[n]);
                free(s);
        }
        assert_string_equal(bootspec_efi_arch("x86_64-linux"), "x64");
        assert_string_equal(bootspec_efi_arch("aarch64-linux"), "aa64");
        assert_null(bootspec_efi_arch("i686-linux"));
        assert_null(bootspec_efi_arch("riscv64-linux"));
        assert_null(bootspec_efi_arch("x86_64-linuxx"));
        assert_null(bootspec_efi_arch("x86_64-darwin"));
        assert_null(bootspec_efi_arch(""));
        assert_null(bootspec_efi_arch(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_fixture),
                cmocka_unit_test(test_optional_fields_absent),
                cmocka_unit_test(test_unknown_keys_ignored),
                cmocka_unit_test(test_strings_allowed),
                cmocka_unit_test(test_refused_syntax),
                cmocka_unit_test(test_refused_pre_rfc),
                cmocka_unit_test(test_refused_fields),
                cmocka_unit_test(test_refused_kernel_params),
                cmocka_unit_test(test_refused_duplicates),
                cmocka_unit_test(test_specialisations),
                cmocka_unit_test(test_refused_specialisations),
                cmocka_unit_test(test_refused_sort_key),
                cmocka_unit_test(test_error_buffer),
                cmocka_unit_test(test_generation_names),
                cmocka_unit_test(test_generation_lookup),
                cmocka_unit_test(test_load_generation),
                cmocka_unit_test(test_cmdline_and_arch),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
