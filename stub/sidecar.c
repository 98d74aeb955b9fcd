/* SPDX-License-Identifier: MIT */
#include "sidecar.h"

void stub_sidecars_pack(const struct self_image *self _unused_, struct stub_sidecars *ret,
                        struct stub_measurements *m _unused_) {
        *ret = (struct stub_sidecars) {};
}

EFI_STATUS stub_sidecars_add_to_initrd(const struct stub_sidecars *s _unused_, struct initrd_list *initrd _unused_) {
        return EFI_SUCCESS;
}

void stub_sidecars_free(struct stub_sidecars *s) {
        *s = (struct stub_sidecars) {};
}
