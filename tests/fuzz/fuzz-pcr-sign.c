/* SPDX-License-Identifier: MIT */
/* libFuzzer target for what `keel pcr sign` and `keel uki build
 * --pcrpkey/--pcr-private-key` read from untrusted bytes
 * (host-tools/pcr/pcr-sign.c, with the UKI reading of host-tools/pcr/pcr.c). The
 * first byte picks the part:
 *
 *   0  a PEM public key (.pcrpkey, --public-key): pcr_public_pem_check();
 *      an accepted key is RSA of >= 2048 bits and survives the PEM round trip
 *      through pcr_signer_public_pem().
 *   1  a PEM private key, optionally followed by a NUL and a PEM public key:
 *      written to a tmpfs file and loaded with pcr_signer_load() (it only
 *      reads files). An accepted pair is equal, and the fingerprint is
 *      SHA-256 of i2d_PublicKey().
 *   2  a UKI (byte 1: banks): PCR 11 from the mapping
 *      (pcr11_predict_image), from a memfd (pcr11_predict_file, sections
 *      read with pread) and from the event list replayed bank by bank must
 *      agree, and be refused together.
 *   3  byte 1 a bank, byte 2 flags (bit 0: sign ukify's initrd group too),
 *      then a phase up to a NUL, a policy reference up to a NUL, then a UKI:
 *      PCR 11 signed with pcr_sign_json() by a test key (the reference used
 *      only if pcr_policyref_check() takes it); the JSON must have
 *      systemd-measure 262's shape and member order, pol must be the
 *      PolicyPCR digest, sig must verify with SHA-256 over pol ||
 *      SHA-256(ref), and the initrd entry must be there unless it repeats.
 *   4  a --bank list, a NUL, a --phase: pcr_bank_mask_parse() and
 *      pcr_phase_normalize() (idempotent, no empty words, same PCR value);
 *      the phase as a --policyref: accepted only as UTF-8 without control
 *      characters, and it survives JSON unchanged.
 *
 * keel's own log lines go to /dev/null (libFuzzer and the sanitizers keep
 * their output); set KEEL_FUZZ_VERBOSE=1 to see them. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "common/error.h"
#include "tests/fuzz/fuzz-host.h"
#include "common/measure.h"
#include "host-tools/pcr/pcr-policy.h"
#include "host-tools/pcr/pcr-sign.h"
#include "host-tools/pcr/pcr.h"

#define PHASE_MAX 256
#define BANK_LIST_MAX 256


static char tmp_dir[64];
static char private_path[96], public_path[96];
static int uki_fd = -1;
static struct pcr_signer test_signer;

static void cleanup(void) {
        unlink(private_path);
        unlink(public_path);
        rmdir(tmp_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        EVP_PKEY *key;
        unsigned char *der = NULL;
        int n;

        (void) argc;
        (void) argv;
        if (!getenv("KEEL_FUZZ_VERBOSE")) {
                FILE *null = fopen("/dev/null", "w");
                check(null != NULL);
                stderr = null; /* keel's log.c; libFuzzer and ASan write to fd 2 directly */
        }
        fuzz_remove_stale_dirs("keel-fuzz-pcr-sign.");
        snprintf(tmp_dir, sizeof(tmp_dir), "/dev/shm/keel-fuzz-pcr-sign.%d", (int) getpid());
        check(mkdir(tmp_dir, 0700) == 0 || errno == EEXIST);
        snprintf(private_path, sizeof(private_path), "%s/key.pem", tmp_dir);
        snprintf(public_path, sizeof(public_path), "%s/pub.pem", tmp_dir);
        atexit(cleanup);
        uki_fd = memfd_create("keel-fuzz-uki", MFD_CLOEXEC);
        check(uki_fd >= 0);

        /* A small key keeps signing cheap: pcr_sign_json() does not look at
         * the size (pcr_signer_load() does), and 1024 bits hold a SHA-512
         * DigestInfo. */
        key = EVP_RSA_gen(1024);
        check(key != NULL);
        test_signer.private_key = key;
        check(EVP_PKEY_up_ref(key) == 1);
        test_signer.public_key = key;
        n = i2d_PublicKey(key, &der);
        check(n > 0 && EVP_Digest(der, (size_t) n, test_signer.fingerprint, NULL, EVP_sha256(), NULL) == 1);
        OPENSSL_free(der);
        return 0;
}

static char *cstring(const uint8_t *data, size_t size, size_t max, size_t *consumed) {
        size_t n = 0;
        char *s;

        while (n < size && data[n] != 0)
                n++;
        *consumed = n < size ? n + 1 : n;
        if (n > max)
                n = max;
        s = malloc(n + 1);
        check(s != NULL);
        memcpy(s, data, n);
        s[n] = '\0';
        return s;
}

static void write_whole(const char *path, const uint8_t *data, size_t size) {
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        check(fd >= 0);
        check(size == 0 || write(fd, data, size) == (ssize_t) size);
        close(fd);
}

static void fingerprint_of(EVP_PKEY *key, uint8_t out[32]) {
        unsigned char *der = NULL;
        int n = i2d_PublicKey(key, &der);
        check(n > 0 && EVP_Digest(der, (size_t) n, out, NULL, EVP_sha256(), NULL) == 1);
        OPENSSL_free(der);
}

/* An accepted public key, PEM-encoded by keel and read back, is the same key. */
static void check_pem_round_trip(EVP_PKEY *key) {
        struct pcr_signer s = { .public_key = key };
        EVP_PKEY *again = NULL;
        char *pem = NULL;
        size_t pem_size = 0;

        check(pcr_signer_public_pem(&s, &pem, &pem_size) == 0);
        check(pem_size == strlen(pem));
        check(pcr_public_pem_check("round trip", pem, pem_size, &again) == 0);
        check(EVP_PKEY_eq(key, again) == 1);
        EVP_PKEY_free(again);
        free(pem);
}

static void fuzz_public_pem(const uint8_t *data, size_t size) {
        EVP_PKEY *key = NULL;

        if (pcr_public_pem_check("fuzz", data, size, &key) < 0) {
                check(pcr_public_pem_check("fuzz", data, size, NULL) < 0);
                return;
        }
        check(key != NULL);
        check(EVP_PKEY_is_a(key, "RSA") && EVP_PKEY_get_bits(key) >= 2048);
        check(pcr_public_pem_check("fuzz", data, size, NULL) == 0);
        check_pem_round_trip(key);
        EVP_PKEY_free(key);
}

static void fuzz_private_pem(const uint8_t *data, size_t size) {
        const uint8_t *nul = memchr(data, 0, size);
        size_t private_size = nul ? (size_t) (nul - data) : size;
        struct pcr_signer s;
        uint8_t fp[32];

        write_whole(private_path, data, private_size);
        if (nul)
                write_whole(public_path, nul + 1, size - private_size - 1);
        if (pcr_signer_load(private_path, nul ? public_path : NULL, &s) < 0) {
                check(s.private_key == NULL && s.public_key == NULL);
                return;
        }
        check(s.private_key && s.public_key);
        check(EVP_PKEY_is_a(s.private_key, "RSA") && EVP_PKEY_get_bits(s.private_key) >= 2048);
        check(EVP_PKEY_eq(s.private_key, s.public_key) == 1);
        fingerprint_of(s.public_key, fp);
        check(memcmp(fp, s.fingerprint, sizeof(fp)) == 0);
        check_pem_round_trip(s.public_key);
        pcr_signer_done(&s);
        check(s.private_key == NULL && s.public_key == NULL);
}

static void load_memfd(const uint8_t *data, size_t size) {
        check(ftruncate(uki_fd, 0) == 0);
        check(size == 0 || pwrite(uki_fd, data, size, 0) == (ssize_t) size);
}

/* The events firmware and host share, for a UKI the host reader accepts
 * (the checks of pcr11_predict_file_profile(), in common/). */
static bool uki_events(const uint8_t *data, size_t size, struct measure_event events[MEASURE_UKI_EVENTS_MAX],
                       size_t *n) {
        static struct pe_image pe;
        struct uki_sections sections;

        /* As the prediction: no base relocation may change what is measured. */
        return pe_parse_headers(data, size, &pe) == KEEL_OK && pe_check_file_layout(&pe, size) == KEEL_OK &&
               uki_check_relocations(&pe, data, size, PE_VIEW_FILE) == KEEL_OK &&
               uki_find_sections(&pe, &sections) == KEEL_OK &&
               measure_uki_events(&sections, data, size, MEASURE_LAYOUT_FILE, NULL, events, n) == KEEL_OK;
}

static void fuzz_predict(const uint8_t *data, size_t size) {
        struct pcr_value from_image[_PCR_BANK_MAX], from_file[_PCR_BANK_MAX], replayed[_PCR_BANK_MAX];
        struct measure_event events[MEASURE_UKI_EVENTS_MAX];
        unsigned mask;
        size_t n = 0;
        int r_image, r_file;
        bool ok;

        if (size < 1)
                return;
        mask = data[0] & PCR_BANK_MASK_ALL;
        if (mask == 0)
                mask = 1u << PCR_BANK_SHA256;
        data++;
        size--;
        load_memfd(data, size);

        ok = uki_events(data, size, events, &n);
        r_image = pcr11_predict_image("fuzz", data, size, mask, from_image);
        r_file = pcr11_predict_file("fuzz", uki_fd, data, size, mask, from_file);
        check((r_image == 0) == ok && (r_file == 0) == ok);
        if (!ok)
                return;
        for (size_t b = 0; b < _PCR_BANK_MAX; b++) {
                if (!(mask & (1u << b)))
                        continue;
                /* One bank at a time, on this thread. */
                check(pcr_replay_events(events, n, 1u << b, replayed) == 0);
                check(from_image[b].bank == b && from_image[b].size == pcr_bank_digest_size(b));
                check(memcmp(&from_image[b], &from_file[b], sizeof(from_image[b])) == 0);
                check(memcmp(&from_image[b], &replayed[b], sizeof(from_image[b])) == 0);
        }
}

static void hex(const uint8_t *d, size_t n, char *out) {
        for (size_t i = 0; i < n; i++)
                snprintf(out + 2 * i, 3, "%02x", d[i]);
        out[2 * n] = '\0';
}

static const char *json_string_member(json_object *o, const char *key) {
        json_object *v;
        check(json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string));
        return json_object_get_string(v);
}

/* systemd-measure 262's entry: {"pcrs":[11],"pkfp":HEX,["ref":REF,]"pol":HEX,"sig":BASE64},
 * the signature RSASSA-PKCS1-v1_5 with SHA-256 over pol || SHA-256(ref). */
static void check_entry(json_object *entry, const struct pcr_value *value, const char *ref) {
        static const char *const order[] = { "pcrs", "pkfp", "ref", "pol", "sig" };
        json_object *pcrs;
        uint8_t pol[PCR_POLICY_DIGEST_SIZE], tbs[PCR_POLICY_DIGEST_SIZE + 32], sig[1024];
        char pol_hex[2 * PCR_POLICY_DIGEST_SIZE + 1], fp_hex[65];
        const char *sig_b64;
        size_t b64_len, tbs_size = PCR_POLICY_DIGEST_SIZE, m = 0;
        bool has_ref = ref && ref[0];
        int sig_len;
        EVP_MD_CTX *ctx;

        check(entry && json_object_is_type(entry, json_type_object));
        check(json_object_object_length(entry) == (has_ref ? 5 : 4));
        json_object_object_foreach(entry, key, val) {
                (void) val;
                if (!has_ref && m == 2)
                        m++;
                check(m < 5 && strcmp(key, order[m++]) == 0);
        }
        check(json_object_object_get_ex(entry, "pcrs", &pcrs) && json_object_is_type(pcrs, json_type_array));
        check(json_object_array_length(pcrs) == 1 &&
              json_object_get_int(json_object_array_get_idx(pcrs, 0)) == MEASURE_PCR_KERNEL_IMAGE);
        if (has_ref)
                check(strcmp(json_string_member(entry, "ref"), ref) == 0);

        hex(test_signer.fingerprint, 32, fp_hex);
        check(strcmp(json_string_member(entry, "pkfp"), fp_hex) == 0);
        check(pcr_policy_digest(value, MEASURE_PCR_KERNEL_IMAGE, pol) == 0);
        hex(pol, sizeof(pol), pol_hex);
        check(strcmp(json_string_member(entry, "pol"), pol_hex) == 0);

        sig_b64 = json_string_member(entry, "sig");
        b64_len = strlen(sig_b64);
        check(b64_len % 4 == 0 && b64_len / 4 * 3 <= sizeof(sig));
        sig_len = EVP_DecodeBlock(sig, (const unsigned char *) sig_b64, (int) b64_len);
        check(sig_len > 0);
        /* EVP_DecodeBlock counts the '=' padding as zero bytes. */
        while (b64_len > 0 && sig_b64[b64_len - 1] == '=') {
                b64_len--;
                sig_len--;
        }
        check(sig_len == EVP_PKEY_get_size(test_signer.public_key));
        memcpy(tbs, pol, sizeof(pol));
        if (has_ref) {
                check(EVP_Digest(ref, strlen(ref), tbs + sizeof(pol), NULL, EVP_sha256(), NULL) == 1);
                tbs_size += 32;
        }
        ctx = EVP_MD_CTX_new();
        check(ctx != NULL);
        check(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, test_signer.public_key) == 1);
        check(EVP_DigestVerify(ctx, sig, (size_t) sig_len, tbs, tbs_size) == 1);
        EVP_MD_CTX_free(ctx);
}

/* One bank: the phase's entry, then (initrd) ukify's initrd entry unless it
 * is the same phase under the same reference. */
static void check_signed_json(const char *json, size_t json_size, enum pcr_bank bank, const struct pcr_value *value,
                              const char *ref, bool initrd, const struct pcr_value *initrd_value) {
        json_object *root, *array;
        bool repeat = initrd && ref && strcmp(ref, PCR_INITRD_POLICYREF) == 0 &&
                      memcmp(value->digest, initrd_value->digest, value->size) == 0;
        size_t n = initrd && !repeat ? 2 : 1;

        check(strlen(json) == json_size);
        root = json_tokener_parse(json);
        check(root && json_object_is_type(root, json_type_object));
        check(json_object_object_length(root) == 1);
        check(json_object_object_get_ex(root, pcr_bank_name(bank), &array));
        check(json_object_is_type(array, json_type_array) && json_object_array_length(array) == n);
        check_entry(json_object_array_get_idx(array, 0), value, ref);
        if (n == 2)
                check_entry(json_object_array_get_idx(array, 1), initrd_value, PCR_INITRD_POLICYREF);
        json_object_put(root);
}

static void fuzz_sign(const uint8_t *data, size_t size) {
        struct pcr_value pcr11[_PCR_BANK_MAX], after, initrd_after;
        enum pcr_bank bank;
        char *raw, *phase, *ref, *json = NULL;
        size_t used, json_size = 0;
        bool initrd;

        if (size < 2)
                return;
        bank = (enum pcr_bank) (data[0] % _PCR_BANK_MAX);
        initrd = data[1] & 1;
        data += 2;
        size -= 2;
        raw = cstring(data, size, PHASE_MAX, &used);
        phase = pcr_phase_normalize(raw);
        check(phase != NULL);
        data += used;
        size -= used;
        ref = cstring(data, size, PCR_POLICYREF_MAX + 8, &used);
        data += used;
        size -= used;
        if (pcr_policyref_check("fuzz", ref) < 0)
                ref[0] = '\0';

        if (pcr11_predict_image("fuzz", data, size, 1u << bank, pcr11) == 0) {
                const char *phases[1] = { phase };
                const struct pcr_policy_group groups[2] = {
                        { phases, 1, ref },
                        { pcr_initrd_phases, 1, PCR_INITRD_POLICYREF },
                };
                check(pcr_sign_json(&test_signer, pcr11, 1u << bank, groups, initrd ? 2 : 1, &json, &json_size) == 0);
                after = initrd_after = pcr11[bank];
                check(pcr_extend_phase(&after, phase) == 0);
                check(pcr_extend_phase(&initrd_after, pcr_initrd_phases[0]) == 0);
                check_signed_json(json, json_size, bank, &after, ref, initrd, &initrd_after);
                free(json);
        }
        free(ref);
        free(phase);
        free(raw);
}

/* An accepted policy reference is UTF-8 without control characters, and
 * JSON carries it unchanged. */
static void check_policyref(const char *ref) {
        json_object *o, *back;
        size_t n = strlen(ref);

        if (pcr_policyref_check("fuzz", ref) < 0)
                return;
        check(n <= PCR_POLICYREF_MAX);
        for (size_t i = 0; i < n; i++)
                check((unsigned char) ref[i] >= 0x20 && ref[i] != 0x7f);
        o = json_object_new_string(ref);
        check(o != NULL);
        back = json_tokener_parse(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        check(back && json_object_is_type(back, json_type_string) && strcmp(json_object_get_string(back), ref) == 0);
        json_object_put(back);
        json_object_put(o);
}

static void fuzz_strings(const uint8_t *data, size_t size) {
        struct pcr_value a, b;
        size_t used;
        char *list = cstring(data, size, BANK_LIST_MAX, &used);
        char *raw = cstring(data + used, size - used, PHASE_MAX, &used);
        char *phase, *again;
        unsigned mask = 0;

        if (pcr_bank_mask_parse(list, &mask) == 0)
                check(mask != 0 && (mask & ~PCR_BANK_MASK_ALL) == 0);
        {
                enum pcr_bank bank;
                if (pcr_bank_from_string(list, &bank) == 0)
                        check((unsigned) bank < _PCR_BANK_MAX);
        }

        phase = pcr_phase_normalize(raw);
        check(phase != NULL);
        again = pcr_phase_normalize(phase);
        check(again && strcmp(phase, again) == 0);
        check(phase[0] != ':' && strstr(phase, "::") == NULL);
        check(phase[0] == '\0' || phase[strlen(phase) - 1] != ':');
        pcr_value_init(&a, PCR_BANK_SHA256);
        pcr_value_init(&b, PCR_BANK_SHA256);
        check(pcr_extend_phase(&a, raw) == 0 && pcr_extend_phase(&b, phase) == 0);
        check(memcmp(&a, &b, sizeof(a)) == 0);
        check_policyref(raw);
        free(again);
        free(phase);
        free(raw);
        free(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        switch (data[0] % 5) {
        case 0: fuzz_public_pem(data + 1, size - 1); break;
        case 1: fuzz_private_pem(data + 1, size - 1); break;
        case 2: fuzz_predict(data + 1, size - 1); break;
        case 3: fuzz_sign(data + 1, size - 1); break;
        case 4: fuzz_strings(data + 1, size - 1); break;
        }
        ERR_clear_error();
        return 0;
}
