/* SPDX-License-Identifier: MIT */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/objects.h>

#include "host-tools/core/log.h"
#include "host-tools/pcr/pcr.h"
#include "common/error.h"

#define TPM_ALG_SHA1 0x0004
#define TPM_ALG_SHA256 0x000b
#define TPM_ALG_SHA384 0x000c
#define TPM_ALG_SHA512 0x000d

static const struct {
        const char *name;
        int nid;
        uint16_t tpm_alg;
        size_t size;
} banks[_PCR_BANK_MAX] = {
        [PCR_BANK_SHA1] = { "sha1", NID_sha1, TPM_ALG_SHA1, 20 },
        [PCR_BANK_SHA256] = { "sha256", NID_sha256, TPM_ALG_SHA256, 32 },
        [PCR_BANK_SHA384] = { "sha384", NID_sha384, TPM_ALG_SHA384, 48 },
        [PCR_BANK_SHA512] = { "sha512", NID_sha512, TPM_ALG_SHA512, 64 },
};

const char *pcr_bank_name(enum pcr_bank bank) {
        return (unsigned) bank < _PCR_BANK_MAX ? banks[bank].name : NULL;
}

size_t pcr_bank_digest_size(enum pcr_bank bank) {
        return (unsigned) bank < _PCR_BANK_MAX ? banks[bank].size : 0;
}

uint16_t pcr_bank_tpm_alg(enum pcr_bank bank) {
        return (unsigned) bank < _PCR_BANK_MAX ? banks[bank].tpm_alg : 0;
}

static const EVP_MD *bank_md(enum pcr_bank bank) {
        switch (bank) {
        case PCR_BANK_SHA1: return EVP_sha1();
        case PCR_BANK_SHA256: return EVP_sha256();
        case PCR_BANK_SHA384: return EVP_sha384();
        case PCR_BANK_SHA512: return EVP_sha512();
        default: return NULL;
        }
}

/* OpenSSL's digest names (what systemd-measure --bank= looks up), limited to
 * the four banks a TPM 2.0 PC client has. */
int pcr_bank_from_string(const char *s, enum pcr_bank *ret) {
        const EVP_MD *md = EVP_get_digestbyname(s);

        if (!md)
                return -1;
        for (size_t i = 0; i < _PCR_BANK_MAX; i++)
                if (EVP_MD_get_type(md) == banks[i].nid) {
                        *ret = (enum pcr_bank) i;
                        return 0;
                }
        return -1;
}

int pcr_bank_mask_parse(const char *list, unsigned *mask) {
        char *copy = strdup(list), *saveptr = NULL;
        bool named = false;

        if (!copy)
                return log_error("out of memory");
        /* Commas or white space between the names, as ukify --pcr-banks takes them. */
        for (char *w = strtok_r(copy, ", \t\n", &saveptr); w; w = strtok_r(NULL, ", \t\n", &saveptr)) {
                enum pcr_bank b;
                if (pcr_bank_from_string(w, &b) < 0) {
                        log_error("unknown PCR bank '%s' (known: sha1, sha256, sha384, sha512)", w);
                        free(copy);
                        return -1;
                }
                *mask |= 1u << b;
                named = true;
        }
        free(copy);
        if (!named)
                return log_error("empty PCR bank list '%s'", list);
        return 0;
}

void pcr_value_init(struct pcr_value *v, enum pcr_bank bank) {
        memset(v, 0, sizeof(*v));
        v->bank = bank;
        v->size = banks[bank].size;
}

static int digest_parts(enum pcr_bank bank, const void *a, size_t a_size, const void *b, size_t b_size,
                        uint8_t *out) {
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        int ok;

        if (!ctx)
                return -1;
        ok = EVP_DigestInit_ex(ctx, bank_md(bank), NULL) == 1 && EVP_DigestUpdate(ctx, a, a_size) == 1 &&
             (b_size == 0 || EVP_DigestUpdate(ctx, b, b_size) == 1) && EVP_DigestFinal_ex(ctx, out, NULL) == 1;
        EVP_MD_CTX_free(ctx);
        return ok ? 0 : -1;
}

int pcr_extend_digest(struct pcr_value *v, const uint8_t *digest) {
        uint8_t next[PCR_DIGEST_MAX];

        if (digest_parts(v->bank, v->digest, v->size, digest, v->size, next) < 0)
                return log_error("%s digest failed", banks[v->bank].name);
        memcpy(v->digest, next, v->size);
        return 0;
}

int pcr_extend_data(struct pcr_value *v, const void *data, size_t size) {
        uint8_t d[PCR_DIGEST_MAX];

        if (digest_parts(v->bank, data, size, NULL, 0, d) < 0)
                return log_error("%s digest failed", banks[v->bank].name);
        return pcr_extend_digest(v, d);
}

int pcr_extend_phase(struct pcr_value *v, const char *phase) {
        const char *p = phase;

        while (*p) {
                size_t n = strcspn(p, ":");
                if (n > 0 && pcr_extend_data(v, p, n) < 0)
                        return -1;
                p += n;
                if (*p == ':')
                        p++;
        }
        return 0;
}

char *pcr_phase_normalize(const char *phase) {
        char *out = malloc(strlen(phase) + 1);
        size_t o = 0;

        if (!out)
                return NULL;
        for (const char *p = phase; *p;) {
                size_t n = strcspn(p, ":");
                if (n > 0) {
                        if (o > 0)
                                out[o++] = ':';
                        memcpy(out + o, p, n);
                        o += n;
                }
                p += n;
                if (*p == ':')
                        p++;
        }
        out[o] = '\0';
        return out;
}

/* Replays the event list for a group of banks on one thread. The data is
 * hashed in chunks that stay in the cache while every bank of the group
 * takes them, so that a group reads each byte from memory once. */
#define REPLAY_CHUNK (32u * 1024)

struct replay_job {
        const struct measure_event *events;
        size_t n;
        struct pcr_value *values[_PCR_BANK_MAX];
        EVP_MD_CTX *ctx[_PCR_BANK_MAX];
        size_t n_banks;
        /* When fd >= 0, event data at base + X is read from the file at offset X. */
        const uint8_t *base;
        size_t len;
        int fd;
        bool read_failed;
        int result;
        _Alignas(64) uint8_t buffer[REPLAY_CHUNK];
};

static int update_all(struct replay_job *job, const uint8_t *data, size_t size, bool from_file) {
        while (size > 0) {
                size_t chunk = size < REPLAY_CHUNK ? size : REPLAY_CHUNK;
                const uint8_t *p = data;

                /* pread() copies the page cache into a buffer that stays in the
                 * cache for every bank; hashing straight from a mapping stalls
                 * on each page it faults in. */
                if (from_file) {
                        ssize_t got = pread(job->fd, job->buffer, chunk, (off_t) (data - job->base));
                        if (got != (ssize_t) chunk) {
                                job->read_failed = true;
                                return -1;
                        }
                        p = job->buffer;
                }
                for (size_t b = 0; b < job->n_banks; b++)
                        if (EVP_DigestUpdate(job->ctx[b], p, chunk) != 1)
                                return -1;
                data += chunk;
                size -= chunk;
        }
        return 0;
}

static int replay_event(struct replay_job *job, const struct measure_event *ev) {
        static const uint8_t zeros[REPLAY_CHUNK];
        size_t tail = ev->zero_tail;
        /* Section names are keel's own strings; contents lie in the file. */
        uintptr_t at = (uintptr_t) ev->data, base = (uintptr_t) job->base;
        bool in_file = job->fd >= 0 && at >= base && at - base < job->len;

        for (size_t b = 0; b < job->n_banks; b++)
                if (EVP_DigestInit_ex(job->ctx[b], bank_md(job->values[b]->bank), NULL) != 1)
                        return -1;
        if (ev->size > 0 && update_all(job, ev->data, ev->size, in_file) < 0)
                return -1;
        while (tail > 0) {
                size_t chunk = tail < sizeof(zeros) ? tail : sizeof(zeros);
                if (update_all(job, zeros, chunk, false) < 0)
                        return -1;
                tail -= chunk;
        }
        for (size_t b = 0; b < job->n_banks; b++) {
                struct pcr_value *v = job->values[b];
                uint8_t d[PCR_DIGEST_MAX], next[PCR_DIGEST_MAX];

                if (EVP_DigestFinal_ex(job->ctx[b], d, NULL) != 1 ||
                    digest_parts(v->bank, v->digest, v->size, d, v->size, next) < 0)
                        return -1;
                memcpy(v->digest, next, v->size);
        }
        return 0;
}

static void *replay_job_run(void *arg) {
        struct replay_job *job = arg;

        job->result = -1;
        for (size_t b = 0; b < job->n_banks; b++)
                if (!(job->ctx[b] = EVP_MD_CTX_new()))
                        goto out;
        for (size_t i = 0; i < job->n; i++)
                if (replay_event(job, &job->events[i]) < 0)
                        goto out;
        job->result = 0;
out:
        for (size_t b = 0; b < job->n_banks; b++)
                EVP_MD_CTX_free(job->ctx[b]);
        return NULL;
}

static int replay(const struct measure_event *events, size_t n, unsigned bank_mask, const uint8_t *base, size_t len,
                  int fd, struct pcr_value ret[_PCR_BANK_MAX]) {
        /* Cheapest first, so that dealing them round-robin balances the groups. */
        static const enum pcr_bank by_cost[] = { PCR_BANK_SHA1, PCR_BANK_SHA256, PCR_BANK_SHA384, PCR_BANK_SHA512 };
        struct replay_job jobs[_PCR_BANK_MAX] = {};
        pthread_t threads[_PCR_BANK_MAX];
        bool started[_PCR_BANK_MAX] = {};
        size_t n_jobs, n_requested = 0, k = 0;
        long cpus = sysconf(_SC_NPROCESSORS_ONLN);
        int r = 0;

        for (size_t b = 0; b < _PCR_BANK_MAX; b++) {
                pcr_value_init(&ret[b], (enum pcr_bank) b);
                if (bank_mask & (1u << b))
                        n_requested++;
        }
        /* One thread per core at most: the banks are independent. */
        n_jobs = cpus > 0 && (size_t) cpus < n_requested ? (size_t) cpus : n_requested;
        for (size_t i = 0; i < ARRAY_SIZE(by_cost); i++) {
                struct replay_job *job;

                if (!(bank_mask & (1u << by_cost[i])))
                        continue;
                job = &jobs[k++ % n_jobs];
                job->values[job->n_banks++] = &ret[by_cost[i]];
        }
        for (size_t j = 0; j < n_jobs; j++) {
                jobs[j].events = events;
                jobs[j].n = n;
                jobs[j].base = base;
                jobs[j].len = len;
                jobs[j].fd = fd;
                /* The last group runs on this thread. */
                if (j + 1 < n_jobs && pthread_create(&threads[j], NULL, replay_job_run, &jobs[j]) == 0)
                        started[j] = true;
                else
                        replay_job_run(&jobs[j]);
        }
        for (size_t j = 0; j < n_jobs; j++) {
                if (started[j])
                        pthread_join(threads[j], NULL);
                if (jobs[j].result < 0 && r == 0)
                        r = jobs[j].read_failed ? log_error("cannot read the sections to hash (file changed?)")
                                                : log_error("PCR digest failed");
        }
        return r;
}

int pcr_replay_events(const struct measure_event *events, size_t n, unsigned bank_mask,
                      struct pcr_value ret[_PCR_BANK_MAX]) {
        return replay(events, n, bank_mask, NULL, 0, -1, ret);
}

int pcr11_predict_image(const char *what, const uint8_t *image, size_t len, unsigned bank_mask,
                        struct pcr_value ret[_PCR_BANK_MAX]) {
        return pcr11_predict_file(what, -1, image, len, bank_mask, ret);
}

int pcr11_predict_file(const char *what, int fd, const uint8_t *image, size_t len, unsigned bank_mask,
                       struct pcr_value ret[_PCR_BANK_MAX]) {
        return pcr11_predict_file_thin(what, fd, image, len, NULL, bank_mask, ret);
}

int pcr11_predict_file_thin(const char *what, int fd, const uint8_t *image, size_t len,
                            const struct measure_thin_content *thin, unsigned bank_mask,
                            struct pcr_value ret[_PCR_BANK_MAX]) {
        return pcr11_predict_file_profile(what, fd, image, len, thin, 0, bank_mask, ret);
}

int pcr11_predict_file_profile(const char *what, int fd, const uint8_t *image, size_t len,
                               const struct measure_thin_content *thin, unsigned profile, unsigned bank_mask,
                               struct pcr_value ret[_PCR_BANK_MAX]) {
        struct measure_event events[MEASURE_UKI_EVENTS_MAX];
        struct uki_sections sections;
        struct pe_image *pe;
        size_t n;
        int r;

        /* struct pe_image holds 96 section headers: too big for a thread-friendly stack frame. */
        pe = malloc(sizeof(*pe));
        if (!pe)
                return log_error("out of memory");
        r = pe_parse_headers(image, len, pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(pe, len);
        /* A prediction must not vouch for sections the firmware changes. */
        if (r == KEEL_OK)
                r = uki_check_relocations(pe, image, len, PE_VIEW_FILE);
        if (r == KEEL_OK)
                r = uki_find_profile_sections(pe, profile, &sections);
        if (r == KEEL_OK)
                r = measure_uki_events(&sections, image, len, MEASURE_LAYOUT_FILE, thin, events, &n);
        if (r != KEEL_OK) {
                free(pe);
                return log_error("%s: %s", what, keel_strerror(r));
        }
        r = replay(events, n, bank_mask, image, len, fd, ret);
        free(pe);
        return r;
}
