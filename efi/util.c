/* SPDX-License-Identifier: MIT */
#include "efi.h"

const EFI_GUID loader_vendor_guid = { 0x4a67b082, 0x0a4c, 0x41cf, { 0xb6, 0xc7, 0x44, 0x0b, 0x29, 0xbb, 0x8c, 0x4f } };
const EFI_GUID global_variable_guid = EFI_GLOBAL_VARIABLE;
const EFI_GUID loaded_image_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
const EFI_GUID device_path_guid = EFI_DEVICE_PATH_PROTOCOL_GUID;
const EFI_GUID load_file2_guid = { 0x4006c0c1, 0xfcb3, 0x403e, { 0x99, 0x6d, 0x4a, 0x6c, 0x87, 0x24, 0xe0, 0x6d } };
const EFI_GUID linux_initrd_media_guid = { 0x5568e427, 0x68fc, 0x4f3d, { 0xac, 0x74, 0xca, 0x55, 0x52, 0x31, 0xcc, 0x68 } };

void *efi_alloc(size_t size) {
        void *p = NULL;
        if (BS->AllocatePool(EfiLoaderData, size, &p) != EFI_SUCCESS)
                return NULL;
        return p;
}

void *efi_alloc_zero(size_t size) {
        void *p = efi_alloc(size);
        if (p)
                memset(p, 0, size);
        return p;
}

void efi_free(void *p) {
        if (p)
                BS->FreePool(p);
}

EFI_LOADED_IMAGE *efi_loaded_image(EFI_HANDLE image) {
        EFI_LOADED_IMAGE *li = NULL;
        if (BS->HandleProtocol(image, (EFI_GUID *) &loaded_image_guid, (void **) &li) != EFI_SUCCESS)
                return NULL;
        return li;
}
