/* SPDX-License-Identifier: MIT */
#include "addons.h"

void stub_addons_load(EFI_HANDLE image _unused_, const struct self_image *self _unused_, struct stub_addons *ret) {
        *ret = (struct stub_addons) {};
}

EFI_STATUS stub_cmdline_append_extras(const struct stub_addons *addons _unused_, CHAR16 **cmdline _unused_,
                                      struct stub_measurements *m _unused_) {
        return EFI_SUCCESS;
}

void stub_addons_install_devicetrees(const struct stub_addons *addons _unused_, struct devicetree_state *dt _unused_,
                                     struct stub_measurements *m _unused_) {
}

EFI_STATUS stub_addons_add_ucode(const struct stub_addons *addons _unused_, struct initrd_list *initrd _unused_,
                                 struct stub_measurements *m _unused_) {
        return EFI_SUCCESS;
}

EFI_STATUS stub_addons_add_initrds(const struct stub_addons *addons _unused_, struct initrd_list *initrd _unused_,
                                   struct stub_measurements *m _unused_) {
        return EFI_SUCCESS;
}

void stub_addons_free(struct stub_addons *addons) {
        *addons = (struct stub_addons) {};
}
