/* SPDX-License-Identifier: MIT */
/* The one file that uses OpenSSL's ENGINE API: deprecated in OpenSSL 3,
 * but the pkcs11 engine is what Debian 12 ships (there is no pkcs11
 * provider), so its declarations are allowed here and nowhere else. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/ui.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/sign/pkcs11-uri.h"
#include "host-tools/sign/pkcs11.h"

#define ENGINE_ID "pkcs11"
#define MODULE_ENV "KEEL_PKCS11_MODULE"
#define PIN_FILE_MAX 4096

/* The engine, kept to the end of the run: keys it loaded sign through the
 * module it opened, so it must outlive them. It is one instance per
 * process (ENGINE_by_id() returns the one OpenSSL lists, and libp11 cannot
 * be loaded a second time beside it), and it opens one module: so one
 * module per run. */
static struct {
        ENGINE *engine;
        char *module; /* what it was given; NULL: the engine's default */
        UI_METHOD *ui;
        bool pin_asked;
} p11;

/* Stands in for a terminal prompt: a PIN that is not in the URI is an
 * error, never a question (keel runs unattended, in builds and on fleets). */
static int ui_no_prompt(UI *ui, UI_STRING *s) {
        (void) ui;
        (void) s;
        p11.pin_asked = true;
        return 0;
}

/* libp11 and the modules it loads write their own diagnostics (dlopen
 * errors, and the URI, PIN included, when an object is not found) to
 * stderr; keel's contract is one line of its own, so they are muted while
 * the engine runs and the reason is read from OpenSSL's error queue. */
static int mute_stderr(void) {
        int saved, null;

        fflush(stderr);
        saved = fcntl(STDERR_FILENO, F_DUPFD_CLOEXEC, 3);
        null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (saved < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0) {
                if (saved >= 0)
                        close(saved);
                saved = -1;
        }
        if (null >= 0)
                close(null);
        return saved;
}

static void unmute_stderr(int saved) {
        if (saved < 0)
                return;
        fflush(stderr);
        dup2(saved, STDERR_FILENO);
        close(saved);
}

static const char *module_name(const char *module) {
        return module ? module : "p11-kit-proxy, the engine's default";
}

static bool same_module(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The module a URI selects: its module-path=, else $KEEL_PKCS11_MODULE,
 * else NULL (the engine's default). */
static const char *select_module(const char *uri_module) {
        const char *env = getenv(MODULE_ENV);

        if (uri_module)
                return uri_module;
        return env && *env ? env : NULL;
}

static ENGINE *engine_get(const char *module, const char *shown, int shown_len) {
        char *copy = NULL;
        ENGINE *e;
        int saved;
        bool ok;

        if (p11.engine) {
                if (same_module(module, p11.module))
                        return p11.engine;
                log_error("%.*s: PKCS#11 module %s, but an earlier key or certificate came from %s: one module per run",
                          shown_len, shown, module_name(module), module_name(p11.module));
                return NULL;
        }
        if (!p11.ui) {
                p11.ui = UI_create_method("keel: no PIN prompt");
                if (!p11.ui || UI_method_set_reader(p11.ui, ui_no_prompt) != 0) {
                        log_error("out of memory");
                        return NULL;
                }
        }
        if (module && !(copy = strdup(module))) {
                log_error("out of memory");
                return NULL;
        }

        saved = mute_stderr();
        e = ENGINE_by_id(ENGINE_ID);
        unmute_stderr(saved);
        if (!e) {
                ERR_clear_error();
                free(copy);
                log_error("%.*s: OpenSSL's pkcs11 engine is not installed (Debian: libengine-pkcs11-openssl)",
                          shown_len, shown);
                return NULL;
        }
        /* QUIET: see mute_stderr(). Its messages would go to a muted
         * stderr anyway; quiet, it does not even format them. */
        ok = ENGINE_ctrl_cmd_string(e, "QUIET", NULL, 0) == 1;
        ok = ok && (!module || ENGINE_ctrl_cmd_string(e, "MODULE_PATH", module, 0) == 1);
        ok = ok && ENGINE_ctrl_cmd(e, "SET_USER_INTERFACE", 0, p11.ui, NULL, 0) == 1;
        ok = ok && ENGINE_init(e) == 1;
        ERR_clear_error();
        if (!ok) {
                ENGINE_free(e);
                free(copy);
                log_error("%.*s: OpenSSL's pkcs11 engine refused keel's settings (an old libp11?)", shown_len, shown);
                return NULL;
        }
        p11.engine = e;
        p11.module = copy;
        return e;
}

/* The PIN the URI gives, if any, becomes the engine's for this load (and
 * stays for the next one in the same token, as the engine caches it). */
static int set_pin(ENGINE *e, const struct pkcs11_uri *u, const char *shown, int shown_len) {
        uint8_t *data = NULL;
        size_t size = 0;
        const char *pin = u->pin_value;
        int r = 0;

        if (!pin && !u->pin_file)
                return 0;
        if (!pin) {
                if (read_file(u->pin_file, PIN_FILE_MAX, &data, &size) < 0)
                        return -1;
                /* The first line, as --passphrase-file reads its file. */
                data[strcspn((char *) data, "\r\n")] = '\0';
                pin = (const char *) data;
        }
        if (*pin == '\0')
                r = log_error("%.*s: the PIN is empty", shown_len, shown);
        else if (ENGINE_ctrl_cmd_string(e, "PIN", pin, 0) != 1) {
                ERR_clear_error();
                r = log_error("%.*s: the pkcs11 engine did not take the PIN", shown_len, shown);
        }
        if (data) {
                OPENSSL_cleanse(data, size);
                free(data);
        }
        return r;
}

/* One line saying why the engine found nothing, from what it left in the
 * error queue (libp11 0.4: its own library and the module's CKR_ codes). */
static int log_failure(const char *what, const char *module, const char *shown, int shown_len) {
        const char *reason = NULL, *module_reason = NULL;
        bool not_found = false, no_module = false, bad_uri = false;
        unsigned long e;

        while ((e = ERR_get_error())) {
                const char *lib = ERR_lib_error_string(e), *r = ERR_reason_error_string(e);

                if (!r)
                        continue;
                if (lib && strcmp(lib, "PKCS#11 module") == 0 && !module_reason)
                        module_reason = r;
                else if (strcmp(r, "object not found") == 0)
                        not_found = true;
                else if (strcmp(r, "Unable to load PKCS#11 module") == 0)
                        no_module = true;
                else if (strcmp(r, "invalid id") == 0)
                        bad_uri = true;
                if (!reason)
                        reason = r;
        }
        if (no_module)
                return log_error("%.*s: cannot load the PKCS#11 module %s", shown_len, shown, module_name(module));
        if (module_reason)
                /* CKR_PIN_INCORRECT, CKR_PIN_LOCKED...: the login failed. */
                return log_error("%.*s: the token refused the login: %s", shown_len, shown, module_reason);
        /* The engine looks without logging in first, then asks for the PIN
         * and looks again: a private key is never found without it, a
         * certificate usually is, so one not found is most likely missing. */
        if (p11.pin_asked && strcmp(what, "certificate") == 0)
                return log_error("%.*s: no such certificate readable without a PIN (no matching token or object; "
                                 "for a private one add ?pin-source=file:PATH)",
                                 shown_len, shown);
        if (p11.pin_asked)
                return log_error("%.*s: the token needs a PIN to find the %s: add ?pin-source=file:PATH (or "
                                 "?pin-value=PIN) to the URI",
                                 shown_len, shown, what);
        if (bad_uri)
                return log_error("%.*s: the pkcs11 engine cannot read this URI (it knows token, manufacturer, model, "
                                 "serial, object, id and type)",
                                 shown_len, shown);
        if (not_found)
                return log_error("%.*s: no such %s (no matching token, or no matching object in it; module: %s)",
                                 shown_len, shown, what, module_name(module));
        return log_error("%.*s: cannot load the %s from the token%s%s", shown_len, shown, what, reason ? ": " : "",
                         reason ? reason : "");
}

static int prepare(const char *uri, enum pkcs11_object_type want, const char *what, struct pkcs11_uri *u,
                   const char **ret_module, ENGINE **ret) {
        int shown = pkcs11_printable_length(uri);

        if (pkcs11_uri_parse(uri, u) < 0)
                return -1;
        if (u->type != PKCS11_TYPE_ANY && u->type != want) {
                pkcs11_uri_done(u);
                return log_error("%.*s: a %s is wanted here, the URI's type= says otherwise (give type=%s or none)",
                                 shown, uri, what, want == PKCS11_TYPE_CERT ? "cert" : "private");
        }
        *ret_module = select_module(u->module_path);
        *ret = engine_get(*ret_module, uri, shown);
        if (!*ret || set_pin(*ret, u, uri, shown) < 0) {
                pkcs11_uri_done(u);
                return -1;
        }
        ERR_clear_error();
        p11.pin_asked = false;
        return 0;
}

EVP_PKEY *pkcs11_load_private_key(const char *uri) {
        struct pkcs11_uri u;
        const char *module;
        EVP_PKEY *key;
        ENGINE *e;
        int saved;

        if (prepare(uri, PKCS11_TYPE_PRIVATE, "private key", &u, &module, &e) < 0)
                return NULL;
        saved = mute_stderr();
        key = ENGINE_load_private_key(e, u.path, p11.ui, NULL);
        unmute_stderr(saved);
        if (!key)
                log_failure("private key", module, uri, pkcs11_printable_length(uri));
        ERR_clear_error();
        pkcs11_uri_done(&u);
        return key;
}

X509 *pkcs11_load_certificate(const char *uri) {
        /* The layout LOAD_CERT_CTRL takes (libp11's engine documents it). */
        struct {
                const char *id;
                X509 *cert;
        } params = {};
        struct pkcs11_uri u;
        const char *module;
        ENGINE *e;
        int saved, r;

        if (prepare(uri, PKCS11_TYPE_CERT, "certificate", &u, &module, &e) < 0)
                return NULL;
        params.id = u.path;
        saved = mute_stderr();
        r = ENGINE_ctrl_cmd(e, "LOAD_CERT_CTRL", 0, &params, NULL, 0);
        unmute_stderr(saved);
        if (r != 1 || !params.cert) {
                X509_free(params.cert);
                params.cert = NULL;
                log_failure("certificate", module, uri, pkcs11_printable_length(uri));
        }
        ERR_clear_error();
        pkcs11_uri_done(&u);
        return params.cert;
}
