/* SPDX-License-Identifier: MIT */
/* The PCR 12 events of stub/addons.c, replayed in software from the files:
 * the selection rules, the command-line join and the event order are the
 * same common/ code (common/addon.c, common/cmdline.c) the stub runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "host-tools/pcr/pcr-addon.h"
#include "common/addon.h"
#include "common/cmdline.h"
#include "common/error.h"
#include "common/fdt.h"
#include "common/utf.h"

/* The stub's limits (stub/addons.h STUB_ADDON_BLOBS_MAX). */
#define BLOBS_MAX 8
#define ADDONS_MAX 128

struct blob {
        uint8_t *data;
        size_t size;
};

struct addon_state {
        uint16_t *cmdline;
        size_t cmdline_units;
        struct blob dtbs[BLOBS_MAX], ucodes[BLOBS_MAX], initrds[BLOBS_MAX];
        size_t n_dtbs, n_ucodes, n_initrds;
};

/* A section as the firmware loads it: VirtualSize bytes, zero-filled past
 * the raw data (malloc'd; NULL with size 0 when absent). */
static int section_copy(const struct mapped_file *m, const struct pe_section *s, uint8_t **ret, size_t *ret_size) {
        size_t avail;

        *ret = NULL;
        *ret_size = 0;
        if (!s)
                return 0;
        avail = pe_section_file_size(s);
        if (s->raw_offset > m->size || avail > m->size - s->raw_offset)
                return -1;
        *ret = calloc(1, s->virtual_size + 1);
        if (!*ret)
                return -1;
        memcpy(*ret, m->data + s->raw_offset, avail);
        *ret_size = s->virtual_size;
        return 0;
}

/* The sections point into *ret_pe (caller frees it and unmaps m). */
static int read_sections(const char *what, const char *path, unsigned profile, struct mapped_file *m,
                         struct pe_image **ret_pe, struct uki_sections *ret) {
        struct pe_image *pe = malloc(sizeof(*pe));
        int r;

        *ret_pe = NULL;
        if (!pe)
                return log_error("out of memory");
        if (map_pe_file(path, m) < 0) {
                free(pe);
                return -1;
        }
        r = pe_parse_headers(m->data, m->size, pe);
        if (r == KEEL_OK)
                r = pe_check_file_layout(pe, m->size);
        /* The stub skips an addon whose relocations change its sections. */
        if (r == KEEL_OK)
                r = uki_check_relocations(pe, m->data, m->size, PE_VIEW_FILE);
        if (r == KEEL_OK)
                r = uki_find_profile_sections(pe, profile, ret);
        if (r != KEEL_OK) {
                free(pe);
                unmap_file(m);
                return log_error("pcr predict: %s %s: %s", what, path, keel_strerror(r));
        }
        *ret_pe = pe;
        return 0;
}

/* The stub keeps a blob when there is room (stub/addons.c keep_blob()). */
static void keep(struct blob *blobs, size_t *n, size_t *pieces, bool counts, uint8_t *data, size_t size) {
        if (size == 0 || *n == BLOBS_MAX || (counts && *pieces == BLOBS_MAX)) {
                if (size > 0)
                        log_warning("pcr predict: more addon blobs than the stub takes; the rest are left out");
                free(data);
                return;
        }
        blobs[(*n)++] = (struct blob) { data, size };
        if (counts)
                (*pieces)++;
}

static int take_addon(const char *path, const char *uki_uname, size_t uki_uname_len, struct addon_state *a) {
        struct mapped_file m;
        struct uki_sections s;
        struct pe_image *pe;
        uint8_t *data, *uname;
        size_t size, uname_len, pieces;
        int r;

        if (read_sections("--addon", path, 0, &m, &pe, &s) < 0)
                return -1;
        if (section_copy(&m, s.section[UKI_SECTION_UNAME], &uname, &uname_len) < 0)
                goto oom;
        r = addon_check(&s, (const char *) uname, uname_len, uki_uname, uki_uname_len);
        free(uname);
        if (r != KEEL_OK) {
                unmap_file(&m);
                free(pe);
                return log_error("pcr predict: --addon %s: %s (the stub skips it)", path, keel_strerror(r));
        }
        if (section_copy(&m, s.section[UKI_SECTION_CMDLINE], &data, &size) < 0)
                goto oom;
        if (data) {
                uint16_t *joined = malloc(ADDON_CMDLINE_JOIN_UNITS(a->cmdline_units, size) * sizeof(uint16_t));
                if (!joined) {
                        free(data);
                        goto oom;
                }
                if (a->cmdline)
                        memcpy(joined, a->cmdline, (a->cmdline_units + 1) * sizeof(uint16_t));
                else
                        joined[0] = 0;
                addon_cmdline_join(joined, &a->cmdline_units, (const char *) data, size);
                free(data);
                free(a->cmdline);
                a->cmdline = joined;
        }
        pieces = a->n_ucodes + a->n_initrds;
        if (section_copy(&m, s.section[UKI_SECTION_DTB], &data, &size) < 0)
                goto oom;
        keep(a->dtbs, &a->n_dtbs, &pieces, false, data, size);
        if (section_copy(&m, s.section[UKI_SECTION_INITRD], &data, &size) < 0)
                goto oom;
        keep(a->initrds, &a->n_initrds, &pieces, true, data, size);
        if (section_copy(&m, s.section[UKI_SECTION_UCODE], &data, &size) < 0)
                goto oom;
        keep(a->ucodes, &a->n_ucodes, &pieces, true, data, size);
        unmap_file(&m);
        free(pe);
        return 0;
oom:
        unmap_file(&m);
        free(pe);
        return log_error("out of memory");
}

static int extend_all(struct pcr_value ret[_PCR_BANK_MAX], unsigned bank_mask, const void *data, size_t size) {
        for (size_t b = 0; b < _PCR_BANK_MAX; b++)
                if ((bank_mask & (1u << b)) && pcr_extend_data(&ret[b], data, size) < 0)
                        return -1;
        return 0;
}

/* The joined command line as the stub appends it to the UKI's own: mangled,
 * bound by cmdline_bind() (CMDLINE_BIND_APPEND) to the UKI's .cmdline, not
 * used when it would not fit; measured as UTF-16 with its NUL. */
static int extend_cmdline(struct pcr_value ret[_PCR_BANK_MAX], unsigned bank_mask, struct addon_state *a,
                          const uint8_t *uki_cmdline, size_t uki_cmdline_len) {
        uint16_t *extra = a->cmdline, *bound = NULL, *all = NULL, *uki16 = NULL;
        size_t units, base, n, uki_units;
        int r = 0;

        if (!extra)
                return 0;
        units = addon_cmdline_mangle(extra);
        if (units > 0) {
                uki16 = malloc((uki_cmdline_len + 1) * sizeof(uint16_t));
                if (!uki16)
                        return log_error("out of memory");
                uki_units = utf8_to_utf16((const char *) uki_cmdline, uki_cmdline_len, uki16);
                bound = malloc(CMDLINE_BIND_MAX_UNITS(units, uki_units) * sizeof(uint16_t));
                if (!bound) {
                        free(uki16);
                        return log_error("out of memory");
                }
                r = cmdline_bind(extra, units, uki16, uki_units, CMDLINE_BIND_APPEND, bound,
                                 CMDLINE_BIND_MAX_UNITS(units, uki_units), &n, NULL);
                free(uki16);
                if (r != KEEL_OK) {
                        log_warning("pcr predict: the stub ignores the addons' command line (too long)");
                        free(bound);
                        return 0;
                }
                extra = bound;
                units = n;
        }
        if (units == 0)
                goto out;
        all = malloc((uki_cmdline_len + 1 + units + 1) * sizeof(uint16_t));
        if (!all) {
                r = log_error("out of memory");
                goto out;
        }
        base = utf8_to_utf16((const char *) uki_cmdline, uki_cmdline_len, all);
        if (base > 0)
                all[base++] = ' ';
        memcpy(all + base, extra, units * sizeof(uint16_t));
        all[base + units] = 0;
        if (cmdline_check_kernel_limits(all, base + units, NULL) != KEEL_OK) {
                log_warning("pcr predict: the stub ignores the addons' command line (the kernel would cut it)");
                goto out;
        }
        extra[units] = 0;
        r = extend_all(ret, bank_mask, extra, (units + 1) * sizeof(uint16_t));
out:
        free(all);
        free(bound);
        return r;
}

static void free_blobs(struct blob *b, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(b[i].data);
}

int pcr12_predict_addons(const char *uki_path, unsigned profile, const char *const *addon_paths, size_t n,
                         unsigned bank_mask, struct pcr_value ret[_PCR_BANK_MAX]) {
        struct addon_state a = {};
        struct mapped_file uki;
        struct uki_sections s;
        struct pe_image *pe;
        uint8_t *uname = NULL, *cmdline = NULL;
        size_t uname_len = 0, cmdline_len = 0;
        int r = 0;

        for (size_t b = 0; b < _PCR_BANK_MAX; b++)
                pcr_value_init(&ret[b], (enum pcr_bank) b);
        if (n > ADDONS_MAX)
                return log_error("pcr predict: too many --addon (at most %d)", ADDONS_MAX);
        if (read_sections("UKI", uki_path, profile, &uki, &pe, &s) < 0)
                return -1;
        if (section_copy(&uki, s.section[UKI_SECTION_UNAME], &uname, &uname_len) < 0 ||
            section_copy(&uki, s.section[UKI_SECTION_CMDLINE], &cmdline, &cmdline_len) < 0)
                r = log_error("pcr predict: UKI %s: cannot read its sections", uki_path);
        unmap_file(&uki);
        free(pe);
        /* The stub measures a profile other than 0 first (its number as
         * UTF-16 with the NUL). */
        if (r == 0 && profile != 0) {
                char text[16];
                uint16_t wide[16];
                size_t units = utf8_to_utf16(text, (size_t) snprintf(text, sizeof(text), "%u", profile), wide);
                r = extend_all(ret, bank_mask, wide, (units + 1) * sizeof(uint16_t));
        }
        for (size_t i = 0; r == 0 && i < n; i++)
                r = take_addon(addon_paths[i], uname ? (const char *) uname : NULL, uname_len, &a);
        if (r == 0)
                r = extend_cmdline(ret, bank_mask, &a, cmdline, cmdline ? strnlen((char *) cmdline, cmdline_len) : 0);
        /* A tree the stub cannot install is neither installed nor measured. */
        for (size_t i = 0; r == 0 && i < a.n_dtbs; i++) {
                size_t total;
                if (fdt_check(a.dtbs[i].data, a.dtbs[i].size, &total) == KEEL_OK)
                        r = extend_all(ret, bank_mask, a.dtbs[i].data, a.dtbs[i].size);
        }
        for (size_t i = a.n_ucodes; r == 0 && i > 0; i--)
                r = extend_all(ret, bank_mask, a.ucodes[i - 1].data, a.ucodes[i - 1].size);
        for (size_t i = 0; r == 0 && i < a.n_initrds; i++)
                r = extend_all(ret, bank_mask, a.initrds[i].data, a.initrds[i].size);
        free_blobs(a.dtbs, a.n_dtbs);
        free_blobs(a.ucodes, a.n_ucodes);
        free_blobs(a.initrds, a.n_initrds);
        free(a.cmdline);
        free(uname);
        free(cmdline);
        return r;
}
