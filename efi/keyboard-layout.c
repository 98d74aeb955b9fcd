/* SPDX-License-Identifier: MIT */
#include "keyboard-layout.h"
#include "efi.h"
#include "../common/error.h"
#include "../common/keyboard-layout.h"
#include "../common/loader-conf.h"

/* EFI_HII_DATABASE_PROTOCOL (UEFI 2.10 §34.8.1): only the members up to
 * GetKeyboardLayout are used; the ones before it are never called. */
struct hii_database {
        void *new_package_list, *remove_package_list, *update_package_list, *list_package_lists,
                *export_package_lists, *register_package_notify, *unregister_package_notify,
                *find_keyboard_layouts;
        EFI_STATUS(EFIAPI *get_keyboard_layout)(struct hii_database *self, const EFI_GUID *key_guid,
                                                UINT16 *length, void *layout);
};

static const EFI_GUID hii_database_guid = { 0xef9fc172, 0xa1b2, 0x4693, { 0xb3, 0x27, 0x6d, 0x32, 0xfc, 0x41, 0x60, 0x42 } };

/* The current layout in a fresh buffer (caller frees), or NULL. */
static void *current_layout(UINT16 *ret_length) {
        struct hii_database *hii = NULL;
        UINT16 length = 0;
        void *layout;
        EFI_STATUS err;

        err = BS->LocateProtocol((EFI_GUID *) &hii_database_guid, NULL, (void **) &hii);
        if (err != EFI_SUCCESS || !hii)
                return NULL;
        err = hii->get_keyboard_layout(hii, NULL, &length, NULL);
        if (err != EFI_BUFFER_TOO_SMALL || length < KEYBOARD_LAYOUT_HEADER_SIZE)
                return NULL;
        layout = efi_alloc(length);
        if (!layout)
                return NULL;
        err = hii->get_keyboard_layout(hii, NULL, &length, layout);
        if (err != EFI_SUCCESS) {
                efi_free(layout);
                return NULL;
        }
        *ret_length = length;
        return layout;
}

void export_keyboard_layout(void) {
        char tag[KEYBOARD_LAYOUT_TAG_MAX + 1];
        UINT16 length = 0;
        void *layout;
        int r;

        if (efivar_exists(&loader_vendor_guid, L"LoaderKeyboardLayout"))
                return;
        layout = current_layout(&length);
        if (!layout)
                return;
        r = keyboard_layout_language(layout, length, tag);
        efi_free(layout);
        if (r != KEEL_OK) {
                efi_log(LOG_LEVEL_NOTICE, "keel: not reporting the firmware's keyboard layout: %s\n", keel_strerror(r));
                return;
        }
        efivar_set_str(&loader_vendor_guid, L"LoaderKeyboardLayout", tag, EFI_VARIABLE_VOLATILE_ACCESS);
}
