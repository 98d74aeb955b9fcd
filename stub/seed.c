/* SPDX-License-Identifier: MIT */
#include "seed.h"
#include "../common/gpt.h"
#include "../efi/partition.h"
#include "../efi/random-seed.h"

/* LoaderFeatures' bit for "passes a random seed" (systemd-boot, keel). */
#define LOADER_FEATURE_RANDOM_SEED (UINT64_C(1) << 6)

static bool loader_passed_seed(void) {
        void *data = NULL;
        size_t size = 0;
        bool passed;

        if (efivar_get_raw(&loader_vendor_guid, L"LoaderFeatures", &data, &size) != EFI_SUCCESS)
                return false;
        passed = size >= sizeof(uint64_t) && (read_le64(data) & LOADER_FEATURE_RANDOM_SEED);
        efi_free(data);
        return passed;
}

void stub_random_seed(const struct self_image *self) {
        struct partition esp;

        if (loader_passed_seed() || !self->loaded_image->DeviceHandle)
                return;
        /* The ESP of the disk the UKI is on: the UKI's own volume, or the
         * ESP beside the XBOOTLDR partition it came from. */
        if (partition_open_by_type(self->loaded_image->DeviceHandle, gpt_type_esp, "ESP", &esp) != EFI_SUCCESS)
                return;
        (void) random_seed_process(esp.root, true);
        esp.root->Close(esp.root);
}
