/* SPDX-License-Identifier: MIT */
/* PCR arithmetic in software: the banks a TPM 2.0 keeps, extend, the
 * systemd-pcrphase words, and the PCR 11 value a UKI produces when keel's
 * stub (or systemd-stub) boots it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/measure.h"

enum pcr_bank {
        PCR_BANK_SHA1,
        PCR_BANK_SHA256,
        PCR_BANK_SHA384,
        PCR_BANK_SHA512,
        _PCR_BANK_MAX,
};

#define PCR_DIGEST_MAX 64
#define PCR_BANK_MASK_ALL ((1u << _PCR_BANK_MAX) - 1)

/* "sha256", as systemd-measure prints it. */
const char *pcr_bank_name(enum pcr_bank bank);
size_t pcr_bank_digest_size(enum pcr_bank bank);
uint16_t pcr_bank_tpm_alg(enum pcr_bank bank); /* TPM_ALG_SHA256, ... */
/* Accepts the names systemd-measure --bank= accepts for these banks:
 * sha1/SHA1, sha256/SHA256, SHA2-256, ... */
int pcr_bank_from_string(const char *s, enum pcr_bank *ret);

/* A bank list (e.g. "sha1,sha256"; commas or white space between the
 * names) added to a bit mask of enum pcr_bank; logs and returns -1 on an
 * unknown name or a list without one. */
int pcr_bank_mask_parse(const char *list, unsigned *mask);

struct pcr_value {
        enum pcr_bank bank;
        size_t size;
        uint8_t digest[PCR_DIGEST_MAX];
};

/* A PCR after reset: all zeros. */
void pcr_value_init(struct pcr_value *v, enum pcr_bank bank);
/* value = H(value || digest); digest has the bank's size. */
int pcr_extend_digest(struct pcr_value *v, const uint8_t *digest);
/* value = H(value || H(data)): what the TPM does for an event. */
int pcr_extend_data(struct pcr_value *v, const void *data, size_t size);
/* systemd-pcrphase: each non-empty colon-separated word w of phase is
 * extended as H(w) (no NUL). */
int pcr_extend_phase(struct pcr_value *v, const char *phase);

/* A phase as systemd-measure normalises it: empty words dropped, so
 * "::enter-initrd:" becomes "enter-initrd". Returns a malloc'd string. */
char *pcr_phase_normalize(const char *phase);

/* PCR 11 before any phase word, for every bank in bank_mask, of the UKI
 * file held in image[0..len): the events of measure_uki_events() in the
 * file layout. The banks are hashed in parallel. Logs and returns -1 on a
 * malformed image (what is wrong is named, prefixed with what). */
int pcr11_predict_image(const char *what, const uint8_t *image, size_t len, unsigned bank_mask,
                        struct pcr_value ret[_PCR_BANK_MAX]);

/* The same for a file that is also open as fd (image is its mapping):
 * section contents are read with pread() instead of through the mapping,
 * which is cheaper for large sections. */
int pcr11_predict_file(const char *what, int fd, const uint8_t *image, size_t len, unsigned bank_mask,
                       struct pcr_value ret[_PCR_BANK_MAX]);

/* The same for a thin UKI (common/thin.h): thin holds the content its
 * .tlinux/.tinitrd name, already checked against the refs' SHA-256 by the
 * caller (NULL for a fat UKI). The result is the fat twin's PCR 11. */
int pcr11_predict_file_thin(const char *what, int fd, const uint8_t *image, size_t len,
                            const struct measure_thin_content *thin, unsigned bank_mask,
                            struct pcr_value ret[_PCR_BANK_MAX]);

/* The same for one profile of a multi-profile UKI (0 is what the others
 * predict; common/uki.h: uki_find_profile_sections()). */
int pcr11_predict_file_profile(const char *what, int fd, const uint8_t *image, size_t len,
                               const struct measure_thin_content *thin, unsigned profile, unsigned bank_mask,
                               struct pcr_value ret[_PCR_BANK_MAX]);

/* The same for a list of events (unit tests and the image variant). */
int pcr_replay_events(const struct measure_event *events, size_t n, unsigned bank_mask,
                      struct pcr_value ret[_PCR_BANK_MAX]);
