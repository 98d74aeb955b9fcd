/* SPDX-License-Identifier: MIT */
#include "enroll.h"
#include "../common/utf.h"
#include "../efi/file.h"

#define AUTH_FILE_MAX (1024u * 1024)
#define KEYS_DIR L"\\loader\\keys"
#define ENROLL_ATTRIBUTES                                                                               \
        (EFI_VARIABLE_NON_VOLATILE | EFI_VARIABLE_BOOTSERVICE_ACCESS | EFI_VARIABLE_RUNTIME_ACCESS |      \
         EFI_VARIABLE_TIME_BASED_AUTHENTICATED_WRITE_ACCESS)

static const EFI_GUID image_security_database_guid = { 0xd719b2cb, 0x3d3a, 0x4596,
                                                        { 0xa3, 0xbc, 0xda, 0xd0, 0x0e, 0x67, 0x65, 0x6f } };

bool secure_boot_setup_mode(void) {
        uint8_t value = 0;
        UINTN size = sizeof(value);

        if (RT->GetVariable(L"SetupMode", (EFI_GUID *) &global_variable_guid, NULL, &size, &value) != EFI_SUCCESS)
                return false;
        return size == 1 && value == 1;
}

void enroll_add_menu_entries(struct entry_list *l, EFI_FILE *root) {
        EFI_FILE *dir = NULL;
        EFI_FILE_INFO *info;
        char name[3 * 64 + 1];

        if (root->Open(root, &dir, KEYS_DIR, EFI_FILE_MODE_READ, 0) != EFI_SUCCESS)
                return;
        while (dir_next(dir, &info) == EFI_SUCCESS && info) {
                size_t units = utf16_strnlen(info->FileName, 64);
                if ((info->Attribute & EFI_FILE_DIRECTORY) && units > 0 && units < 64 && info->FileName[0] != '.') {
                        utf16_to_utf8(info->FileName, units, name);
                        entries_add_secure_boot_keys(l, slice_from_cstr(name));
                }
                efi_free(info);
        }
        dir->Close(dir);
}

/* \loader\keys\NAME\FILE as a UTF-16 path (caller frees). */
static CHAR16 *key_path(const char *name, const CHAR16 *file) {
        size_t n = strlen(name), d = utf16_strnlen(KEYS_DIR, 32), f = utf16_strnlen(file, 16);
        CHAR16 *p = efi_alloc((d + 1 + n + 1 + f + 1) * sizeof(CHAR16));
        size_t o = 0;

        if (!p)
                return NULL;
        memcpy(p, KEYS_DIR, d * sizeof(CHAR16));
        o = d;
        p[o++] = '\\';
        o += utf8_to_utf16(name, n, p + o);
        p[o++] = '\\';
        memcpy(p + o, file, (f + 1) * sizeof(CHAR16));
        return p;
}

static EFI_STATUS enroll_one(EFI_FILE *root, const char *name, const CHAR16 *file, const CHAR16 *variable,
                             const EFI_GUID *vendor) {
        CHAR16 *path = key_path(name, file);
        void *data = NULL;
        size_t size = 0;
        EFI_STATUS err;

        if (!path)
                return EFI_OUT_OF_RESOURCES;
        err = file_read_all(root, path, AUTH_FILE_MAX, &data, &size);
        efi_free(path);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot read key set %s (%ls): %s\n", name, file, efi_status_text(err));
                return err;
        }
        err = RT->SetVariable((CHAR16 *) variable, (EFI_GUID *) vendor, ENROLL_ATTRIBUTES, size, data);
        efi_free(data);
        efi_print("keel: enrolling %ls from key set %s: %s\n", variable, name, efi_status_text(err));
        return err;
}

EFI_STATUS enroll_keys(EFI_FILE *root, const char *name, enum secure_boot_enroll_action action) {
        EFI_STATUS err;

        if (!secure_boot_setup_mode()) {
                efi_print("keel: not in Setup Mode; Secure Boot keys cannot be enrolled\n");
                return EFI_ACCESS_DENIED;
        }
        /* PK last: writing it ends Setup Mode, after which db and KEK would
         * need signatures from the new keys. */
        err = enroll_one(root, name, L"db.auth", L"db", &image_security_database_guid);
        if (err == EFI_SUCCESS)
                err = enroll_one(root, name, L"KEK.auth", L"KEK", &global_variable_guid);
        if (err == EFI_SUCCESS)
                err = enroll_one(root, name, L"PK.auth", L"PK", &global_variable_guid);
        if (err != EFI_SUCCESS)
                return err;
        if (action == SECURE_BOOT_ENROLL_ACTION_SHUTDOWN) {
                efi_print("keel: Secure Boot keys enrolled; powering off\n");
                RT->ResetSystem(EfiResetShutdown, EFI_SUCCESS, 0, NULL);
        } else {
                efi_print("keel: Secure Boot keys enrolled; resetting\n");
                RT->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, NULL);
        }
        return EFI_DEVICE_ERROR;
}

void enroll_force(EFI_FILE *root, const struct loader_config *c) {
        CHAR16 *path = key_path("auto", L"PK.auth");

        if (!path)
                return;
        if (!file_exists(root, path)) {
                efi_free(path);
                efi_print("keel: secure-boot-enroll force, but there is no key set 'auto'\n");
                return;
        }
        efi_free(path);
        /* secure-boot-enroll-timeout-sec (systemd 259): 0 or "hidden" enrolls at once. */
        for (unsigned left = c->secure_boot_enroll_timeout_seconds; left > 0; left--) {
                EFI_INPUT_KEY key;
                efi_print("keel: enrolling Secure Boot keys 'auto' in %u s; press any key to cancel\n", left);
                for (unsigned t = 0; t < 10; t++) {
                        if (ST->ConIn->ReadKeyStroke(ST->ConIn, &key) == EFI_SUCCESS) {
                                efi_print("keel: enrollment cancelled\n");
                                return;
                        }
                        BS->Stall(100 * 1000);
                }
        }
        enroll_keys(root, "auto", c->secure_boot_enroll_action);
}
