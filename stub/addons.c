/* SPDX-License-Identifier: MIT */
#include "addons.h"
#include "../common/addon.h"
#include "../common/cmdline.h"
#include "../common/error.h"
#include "../common/utf.h"
#include "../efi/dropin.h"
#include "../efi/smbios.h"
#include "../efi/tpm.h"

/* An addon is read whole before LoadImage() gets it: its microcode or
 * initrd may be large, but not larger than this. */
#define ADDON_MAX_SIZE (256u * 1024 * 1024)
#define ADDONS_PER_DIRECTORY_MAX 64

static CHAR16 *copy16(const CHAR16 *s) {
        size_t n = utf16_strnlen(s, 4096);
        CHAR16 *out = efi_alloc((n + 1) * sizeof(CHAR16));

        if (out) {
                memcpy(out, s, n * sizeof(CHAR16));
                out[n] = 0;
        }
        return out;
}

/* A section of a loaded image: the firmware placed it at VirtualAddress
 * and zero-filled it to VirtualSize (pe_check_memory_layout() passed). */
static const void *image_section(const uint8_t *base, const struct pe_section *s, size_t *ret_size) {
        if (!s) {
                *ret_size = 0;
                return NULL;
        }
        *ret_size = s->virtual_size;
        return base + s->virtual_address;
}

static bool keep_blob(struct stub_addon_blob *blobs, size_t *n, size_t *n_pieces, const CHAR16 *path,
                      const CHAR16 *name, const void *data, size_t size, const char *what, bool counts_as_piece) {
        struct stub_addon_blob b;

        if (size == 0)
                return true;
        if (*n == STUB_ADDON_BLOBS_MAX || (counts_as_piece && *n_pieces == STUB_ADDON_BLOBS_MAX)) {
                efi_print("keel: addon %ls: too many addon %s (at most %u); its %s is skipped\n", path, what,
                          (unsigned) STUB_ADDON_BLOBS_MAX, what);
                return true;
        }
        b = (struct stub_addon_blob) { .name = copy16(name), .data = efi_alloc(size), .size = size };
        if (!b.name || !b.data) {
                efi_free(b.name);
                efi_free(b.data);
                return false;
        }
        memcpy(b.data, data, size);
        blobs[(*n)++] = b;
        if (counts_as_piece)
                (*n_pieces)++;
        return true;
}

/* The sections of one loaded addon, checked as systemd-stub checks them,
 * copied into a: its command line joined to the others, its blobs kept. */
static void take_addon(const uint8_t *base, size_t image_size, const CHAR16 *path, const CHAR16 *name,
                       const char *uki_uname, size_t uki_uname_len, struct stub_addons *a) {
        struct pe_image *pe = efi_alloc(sizeof(*pe));
        struct uki_sections s;
        const void *data;
        size_t size, uname_len, pieces;
        const char *uname;
        int r;

        if (!pe) {
                efi_print("keel: addon %ls: out of memory; skipped\n", path);
                return;
        }
        r = pe_parse_headers(base, image_size, pe);
        if (r == KEEL_OK)
                r = pe_check_memory_layout(pe, image_size);
        /* The firmware relocated the addon when it loaded it: its sections
         * must still be what its signed file shows. */
        if (r == KEEL_OK)
                r = uki_check_relocations(pe, base, image_size, PE_VIEW_MEMORY);
        if (r == KEEL_OK)
                r = uki_find_sections(pe, &s);
        if (r == KEEL_OK) {
                uname = image_section(base, s.section[UKI_SECTION_UNAME], &uname_len);
                r = addon_check(&s, uname, uname_len, uki_uname, uki_uname_len);
        }
        if (r != KEEL_OK) {
                efi_print("keel: addon %ls: %s; skipped\n", path, keel_strerror(r));
                efi_free(pe);
                return;
        }

        data = image_section(base, s.section[UKI_SECTION_CMDLINE], &size);
        if (data) {
                size_t need = ADDON_CMDLINE_JOIN_UNITS(a->cmdline_units, size);
                CHAR16 *joined = efi_alloc(need * sizeof(CHAR16));

                if (!joined) {
                        efi_print("keel: addon %ls: out of memory; skipped\n", path);
                        efi_free(pe);
                        return;
                }
                if (a->cmdline)
                        memcpy(joined, a->cmdline, (a->cmdline_units + 1) * sizeof(CHAR16));
                else
                        joined[0] = 0;
                addon_cmdline_join(joined, &a->cmdline_units, data, size);
                efi_free(a->cmdline);
                a->cmdline = joined;
        }
        /* systemd 257: .dtb, .initrd and .ucode of every addon, in order. */
        pieces = a->n_ucodes + a->n_initrds;
        data = image_section(base, s.section[UKI_SECTION_DTB], &size);
        if (!keep_blob(a->dtbs, &a->n_dtbs, &pieces, path, name, data, size, "device trees", false))
                efi_print("keel: addon %ls: out of memory for its device tree; skipped\n", path);
        data = image_section(base, s.section[UKI_SECTION_INITRD], &size);
        if (!keep_blob(a->initrds, &a->n_initrds, &pieces, path, name, data, size, "initrds", true))
                efi_print("keel: addon %ls: out of memory for its initrd; skipped\n", path);
        data = image_section(base, s.section[UKI_SECTION_UCODE], &size);
        if (!keep_blob(a->ucodes, &a->n_ucodes, &pieces, path, name, data, size, "microcode", true))
                efi_print("keel: addon %ls: out of memory for its microcode; skipped\n", path);
        a->n_addons++;
        efi_free(pe);
}

/* One addon file: read whole (bounded), then LoadImage() from that buffer
 * with its device path, so that under Secure Boot the firmware verifies
 * exactly the bytes used (db/dbx, as for any image; keel's own override
 * for its embedded kernel is not in place here). A started addon would do
 * nothing; it is only loaded, read and unloaded. */
static void load_addon(EFI_HANDLE image, const struct dropin_list *l, size_t i, const char *uki_uname,
                       size_t uki_uname_len, struct stub_addons *a) {
        CHAR16 *path = dropin_path(l, i);
        EFI_DEVICE_PATH *dp = NULL;
        EFI_HANDLE addon = NULL;
        EFI_LOADED_IMAGE *li;
        void *file = NULL;
        size_t size = 0;
        EFI_STATUS err;

        if (!path) {
                efi_print("keel: addon %ls: out of memory; skipped\n", l->names[i]);
                return;
        }
        err = dropin_read(l, i, ADDON_MAX_SIZE, &file, &size);
        if (err == EFI_BAD_BUFFER_SIZE) {
                efi_print("keel: addon %ls: larger than %u MiB; skipped\n", path,
                          (unsigned) (ADDON_MAX_SIZE / (1024 * 1024)));
                goto out;
        }
        if (err != EFI_SUCCESS) {
                efi_print("keel: addon %ls: cannot read it: %s; skipped\n", path, efi_status_text(err));
                goto out;
        }
        dp = devpath_for_file(l->device, path);
        if (!dp) {
                efi_print("keel: addon %ls: out of memory; skipped\n", path);
                goto out;
        }
        err = BS->LoadImage(FALSE, image, dp, file, size, &addon);
        if (err != EFI_SUCCESS) {
                if (err == EFI_SECURITY_VIOLATION || err == EFI_ACCESS_DENIED)
                        efi_print("keel: addon %ls: refused by Secure Boot (%s); skipped\n", path,
                                  efi_status_text(err));
                else
                        efi_print("keel: addon %ls: not a loadable PE image (%s); skipped\n", path,
                                  efi_status_text(err));
                /* A Secure Boot refusal may still hand back a loaded image. */
                if (addon)
                        BS->UnloadImage(addon);
                goto out;
        }
        li = efi_loaded_image(addon);
        if (!li || !li->ImageBase)
                efi_print("keel: addon %ls: no loaded image; skipped\n", path);
        else
                take_addon(li->ImageBase, li->ImageSize, path, l->names[i], uki_uname, uki_uname_len, a);
        BS->UnloadImage(addon);
out:
        efi_free(dp);
        efi_free(file);
        efi_free(path);
}

static void load_directory(EFI_HANDLE image, const struct self_image *self, const CHAR16 *dir,
                           const char *uki_uname, size_t uki_uname_len, struct stub_addons *a) {
        struct dropin_list l = {};
        EFI_STATUS err;

        err = dropin_list(self->loaded_image, dir, L".addon.efi", NULL, ADDONS_PER_DIRECTORY_MAX, &l);
        if (err != EFI_SUCCESS)
                efi_print("keel: cannot list the addons in %ls: %s; none used from there\n",
                          dir ? dir : L"the UKI's .extra.d", efi_status_text(err));
        for (size_t i = 0; err == EFI_SUCCESS && i < l.n_names; i++)
                load_addon(image, &l, i, uki_uname, uki_uname_len, a);
        dropin_list_free(&l);
}

void stub_addons_load(EFI_HANDLE image, const struct self_image *self, struct stub_addons *ret) {
        size_t uname_len;
        const char *uname = self_section(self, UKI_SECTION_UNAME, &uname_len);

        *ret = (struct stub_addons) {};
        ret->uki_cmdline = self_section(self, UKI_SECTION_CMDLINE, &ret->uki_cmdline_len);
        /* Global ones first, then the UKI's own: "most hardcoded" to "most
         * specific", systemd-stub's order. */
        load_directory(image, self, L"\\loader\\addons", uname, uname_len, ret);
        load_directory(image, self, NULL, uname, uname_len, ret);
}

/* extra (mangled, NUL-terminated) as cmdline_bind() lets it follow the
 * UKI's own command line: without the words that name a file for Linux's
 * EFI stub to load and, when the UKI has a .cmdline, without those that
 * could override its dm-verity (and root, /usr) settings or swallow what
 * follows. A fresh string in *ret (NULL when nothing is left or it cannot
 * be used, said on the console). */
static EFI_STATUS bind_extra(const struct stub_addons *a, const CHAR16 *extra, size_t units, const char *what,
                             CHAR16 **ret, size_t *ret_units) {
        CHAR16 *uki16, *bound;
        size_t uki_units, size, dropped = 0;
        int r;

        *ret = NULL;
        uki16 = efi_alloc((a->uki_cmdline_len + 1) * sizeof(CHAR16));
        if (!uki16)
                return EFI_OUT_OF_RESOURCES;
        uki_units = utf8_to_utf16(a->uki_cmdline ? a->uki_cmdline : "", a->uki_cmdline_len, uki16);
        size = CMDLINE_BIND_MAX_UNITS(units, uki_units);
        bound = efi_alloc(size * sizeof(CHAR16));
        if (!bound) {
                efi_free(uki16);
                return EFI_OUT_OF_RESOURCES;
        }
        r = cmdline_bind(extra, units, uki16, uki_units, CMDLINE_BIND_APPEND, bound, size, ret_units, &dropped);
        efi_free(uki16);
        if (r != KEEL_OK) {
                efi_print("keel: ignoring the %s: %s\n", what, keel_strerror(r));
                efi_free(bound);
                return EFI_SUCCESS;
        }
        if (dropped > 0)
                efi_print("keel: dropped %u word%s from the %s that only the UKI may set "
                          "(initrd=, dtb=, dm-verity, root and /usr file system)\n", (unsigned) dropped,
                          dropped == 1 ? "" : "s", what);
        if (*ret_units == 0) {
                efi_free(bound);
                return EFI_SUCCESS;
        }
        *ret = bound;
        return EFI_SUCCESS;
}

/* Appends extra (mangled, NUL-terminated, changed here) to *cmdline after
 * one space, bound as bind_extra() says, and measures what is appended into
 * PCR 12. What does not fit on the kernel's command line is not used. */
static EFI_STATUS append_extra(const struct stub_addons *a, CHAR16 *extra, const char *what, CHAR16 **cmdline,
                               struct stub_measurements *m) {
        size_t units = addon_cmdline_mangle(extra), base_units, total;
        CHAR16 *bound = NULL, *joined;
        EFI_STATUS err;
        int r;

        if (units == 0)
                return EFI_SUCCESS;
        err = bind_extra(a, extra, units, what, &bound, &units);
        if (err != EFI_SUCCESS || !bound)
                return err;
        extra = bound;
        base_units = *cmdline ? utf16_strnlen(*cmdline, SIZE_MAX / 4) : 0;
        total = base_units + (base_units > 0) + units;
        joined = efi_alloc((total + 1) * sizeof(CHAR16));
        if (!joined) {
                efi_free(bound);
                return EFI_OUT_OF_RESOURCES;
        }
        if (base_units > 0) {
                memcpy(joined, *cmdline, base_units * sizeof(CHAR16));
                joined[base_units] = ' ';
        }
        memcpy(joined + total - units, extra, units * sizeof(CHAR16));
        joined[total] = 0;
        /* Linux's EFI stub would cut the end off: then the words would be
         * measured but not all used. */
        r = cmdline_check_kernel_limits(joined, total, NULL);
        if (r != KEEL_OK) {
                efi_print("keel: ignoring the %s: the command line would be cut by the kernel: %s\n", what,
                          keel_strerror(r));
                efi_free(joined);
                efi_free(bound);
                return EFI_SUCCESS;
        }
        stub_measure_cmdline(extra, m);
        efi_free(*cmdline);
        *cmdline = joined;
        efi_free(bound);
        return EFI_SUCCESS;
}

EFI_STATUS stub_cmdline_append_extras(const struct stub_addons *addons, CHAR16 **cmdline,
                                      struct stub_measurements *m) {
        EFI_STATUS err = EFI_SUCCESS;
        CHAR16 *extra;

        /* One measurement for the joined command lines of all addons (as
         * systemd-stub), then one for SMBIOS's. */
        if (addons->cmdline) {
                extra = copy16(addons->cmdline);
                if (!extra)
                        return EFI_OUT_OF_RESOURCES;
                err = append_extra(addons, extra, "addons' command line", cmdline, m);
                efi_free(extra);
                if (err != EFI_SUCCESS)
                        return err;
        }
        /* The hypervisor's string is not covered by any signature: only
         * without Secure Boot (as the loader's command line). */
        extra = smbios_oem_string("io.systemd.stub.kernel-cmdline-extra=");
        if (extra && secure_boot_enabled())
                efi_print("keel: Secure Boot is on: ignoring SMBIOS io.systemd.stub.kernel-cmdline-extra=\n");
        else if (extra)
                err = append_extra(addons, extra, "SMBIOS io.systemd.stub.kernel-cmdline-extra=", cmdline, m);
        efi_free(extra);
        return err;
}

/* The measurement of one blob into PCR 12, tagged as systemd-stub tags it.
 * False when a TPM is there but failed: the blob is then not used (PCR 12
 * would not say that it was). */
static bool measure_blob(const struct stub_addon_blob *b, uint32_t tag, struct stub_measurements *m) {
        EFI_STATUS err = tpm_log_tagged_event(MEASURE_PCR_KERNEL_PARAMETERS, b->data, b->size, tag, b->name);

        stub_measured_combine(&m->kernel_parameters, stub_measure_result(m, err, MEASURE_PCR_KERNEL_PARAMETERS));
        return err == EFI_SUCCESS || err == TPM_STATUS_ABSENT;
}

void stub_addons_install_devicetrees(const struct stub_addons *addons, struct devicetree_state *dt,
                                     struct stub_measurements *m) {
        for (size_t i = 0; i < addons->n_dtbs; i++) {
                const struct stub_addon_blob *b = &addons->dtbs[i];
                struct devicetree_state next;

                /* Each replaces the tree before it (the UKI's, an earlier
                 * addon's); the firmware's own is what goes back on failure. */
                if (devicetree_install(&next, b->data, b->size) != EFI_SUCCESS) {
                        efi_print("keel: addon %ls: its device tree is skipped\n", b->name);
                        continue;
                }
                if (dt->installed) {
                        next.orig = dt->orig;
                        if (dt->pages)
                                BS->FreePages(dt->addr, dt->pages);
                }
                *dt = next;
                if (!measure_blob(b, ADDON_DEVICETREE_EVENT_TAG_ID, m)) {
                        efi_print("keel: addon %ls: its device tree could not be measured; removed\n", b->name);
                        devicetree_restore(dt);
                        *dt = (struct devicetree_state) {};
                }
        }
}

EFI_STATUS stub_addons_add_ucode(const struct stub_addons *addons, struct initrd_list *initrd,
                                 struct stub_measurements *m) {
        /* In reverse: the kernel takes the first microcode it finds, and the
         * most specific addon (the last) is to win, over the UKI's too. */
        for (size_t i = addons->n_ucodes; i > 0; i--) {
                const struct stub_addon_blob *b = &addons->ucodes[i - 1];
                EFI_STATUS err;

                if (!measure_blob(b, ADDON_UCODE_EVENT_TAG_ID, m))
                        continue;
                err = initrd_list_add(initrd, b->data, b->size);
                if (err != EFI_SUCCESS)
                        return err;
        }
        return EFI_SUCCESS;
}

EFI_STATUS stub_addons_add_initrds(const struct stub_addons *addons, struct initrd_list *initrd,
                                   struct stub_measurements *m) {
        for (size_t i = 0; i < addons->n_initrds; i++) {
                const struct stub_addon_blob *b = &addons->initrds[i];
                EFI_STATUS err;

                if (!measure_blob(b, ADDON_INITRD_EVENT_TAG_ID, m))
                        continue;
                err = initrd_list_add(initrd, b->data, b->size);
                if (err != EFI_SUCCESS)
                        return err;
        }
        return EFI_SUCCESS;
}

static void free_blobs(struct stub_addon_blob *blobs, size_t n) {
        for (size_t i = 0; i < n; i++) {
                efi_free(blobs[i].name);
                efi_free(blobs[i].data);
        }
}

void stub_addons_free(struct stub_addons *addons) {
        free_blobs(addons->dtbs, addons->n_dtbs);
        free_blobs(addons->ucodes, addons->n_ucodes);
        free_blobs(addons->initrds, addons->n_initrds);
        efi_free(addons->cmdline);
        *addons = (struct stub_addons) {};
}
