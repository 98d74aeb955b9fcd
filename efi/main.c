/* SPDX-License-Identifier: MIT */
/* Entry point: one binary, two roles. An image that carries a .linux section
 * is a UKI and runs the stub; a bare keelx64.efi runs the loader. */
#include "efi.h"
#include "self.h"
#include "../common/error.h"
#include "../common/uki.h"
#include "../loader/loader.h"
#include "../stub/stub.h"

EFI_SYSTEM_TABLE *ST;
EFI_BOOT_SERVICES *BS;
EFI_RUNTIME_SERVICES *RT;
EFI_HANDLE keel_image_handle;

/* A multi-profile UKI boots the profile named by an "@N" prefix of its load
 * options (systemd-stub 257's rule, uki_parse_profile_prefix()); the rest
 * is the command line. Load options that are not UTF-16 text (a first
 * unit below 0x20: some firmware passes binary data) name no profile. */
static void choose_profile(EFI_LOADED_IMAGE *li, struct self_image *ret) {
        const CHAR16 *opts = li->LoadOptions;
        size_t units = li->LoadOptionsSize / sizeof(CHAR16), skip;

        ret->load_options = li->LoadOptions;
        ret->load_options_size = li->LoadOptionsSize;
        ret->profile = 0;
        if (!opts || units == 0 || opts[0] < 0x20)
                return;
        if (!uki_parse_profile_prefix(opts, units, &ret->profile, &skip))
                return;
        ret->load_options = opts + skip;
        ret->load_options_size = li->LoadOptionsSize - skip * sizeof(CHAR16);
}

static EFI_STATUS find_own_sections(EFI_LOADED_IMAGE *li, struct self_image *ret) {
        int r;

        ret->loaded_image = li;
        ret->base = li->ImageBase;
        ret->size = li->ImageSize;
        choose_profile(li, ret);

        r = pe_parse_headers(ret->base, ret->size, &ret->pe);
        if (r == KEEL_OK)
                r = pe_check_memory_layout(&ret->pe, ret->size);
        /* Every profile must parse, whichever boots: an image some profile
         * of which `keel uki inspect` refuses never runs. */
        for (unsigned p = uki_count_profiles(&ret->pe); r == KEEL_OK && p-- > 0;)
                r = uki_find_profile_sections(&ret->pe, p, &ret->sections);
        if (r == KEEL_OK)
                r = uki_find_sections(&ret->pe, &ret->sections);
        if (r != KEEL_OK) {
                /* The same checks `keel uki inspect|sign|verify|pcr` apply to the
                 * file: an image they refuse never runs either. */
                efi_print("keel: refusing to run: this image's own headers are invalid: %s\n", keel_strerror(r));
                return EFI_LOAD_ERROR;
        }
        /* The firmware has applied the base relocations already: they must
         * have changed only the stub's own code and data, not what is about
         * to be measured and booted. (Seen in memory, a table that rewrites
         * its own bytes or the headers could show something else than was
         * applied; the same check on the file, by keel sign and verify, is
         * the one that sees every fixup.) */
        r = uki_check_relocations(&ret->pe, ret->base, ret->size, PE_VIEW_MEMORY);
        if (r != KEEL_OK) {
                efi_print("keel: refusing to run: %s\n", keel_strerror(r));
                return EFI_LOAD_ERROR;
        }
        /* The role: a stub when the image carries (or names) a kernel in any
         * profile, as before profiles existed; the loader otherwise. */
        if (!uki_image_has_kernel(&ret->pe))
                return EFI_SUCCESS;
        r = uki_find_profile_sections(&ret->pe, ret->profile, &ret->sections);
        if (r == KEEL_OK && !uki_is_uki(&ret->sections))
                r = KEEL_E_UKI_NO_LINUX;
        if (r != KEEL_OK) {
                /* systemd-stub refuses a profile the image does not have, and one without a kernel. */
                efi_print("keel: refusing to boot profile @%u: %s\n", ret->profile, keel_strerror(r));
                return EFI_NOT_FOUND;
        }
        return EFI_SUCCESS;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *system_table) {
        struct self_image self;
        EFI_LOADED_IMAGE *li;
        EFI_STATUS err;

        ST = system_table;
        BS = system_table->BootServices;
        RT = system_table->RuntimeServices;
        keel_image_handle = image;

        li = efi_loaded_image(image);
        if (!li) {
                efi_print("keel: cannot open own loaded-image protocol\n");
                return EFI_LOAD_ERROR;
        }
        err = find_own_sections(li, &self);
        if (err != EFI_SUCCESS)
                return err;

        if (uki_image_has_kernel(&self.pe))
                return stub_run(image, &self);
        return loader_run(image, &self);
}
