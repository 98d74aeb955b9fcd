/* SPDX-License-Identifier: MIT */
/* The boot loader role: systemd-boot-compatible entries, menu and Boot
 * Loader Interface, with unattended fallback: an entry that cannot be
 * started is counted and the next one is tried in the same boot. */
#include "loader.h"
#include "bli.h"
#include "boot.h"
#include "count.h"
#include "discover.h"
#include "drivers.h"
#include "enroll.h"
#include "menu.h"
#include "sysfail.h"
#include "../common/glob.h"
#include "../common/gpt.h"
#include "../common/measure.h"
#include "../common/utf.h"
#include "../efi/arch.h"
#include "../efi/file.h"
#include "../efi/partition.h"
#include "../efi/random-seed.h"
#include "../efi/smbios.h"
#include "../efi/time.h"
#include "../efi/tpm.h"

#define LOADER_CONF_PATH L"\\loader\\loader.conf"
#define KEEL_LOADER_FEATURES                                                                               \
        (LOADER_FEATURE_CONFIG_TIMEOUT | LOADER_FEATURE_CONFIG_TIMEOUT_ONE_SHOT | LOADER_FEATURE_ENTRY_DEFAULT | \
         LOADER_FEATURE_ENTRY_ONESHOT | LOADER_FEATURE_BOOT_COUNTING | LOADER_FEATURE_XBOOTLDR |          \
         LOADER_FEATURE_RANDOM_SEED | LOADER_FEATURE_LOAD_DRIVER | LOADER_FEATURE_SORT_KEY |              \
         LOADER_FEATURE_SAVED_ENTRY | LOADER_FEATURE_DEVICETREE | LOADER_FEATURE_SECUREBOOT_ENROLL |      \
         LOADER_FEATURE_MENU_DISABLE | LOADER_FEATURE_MULTI_PROFILE_UKI | LOADER_FEATURE_TYPE1_UKI |      \
         LOADER_FEATURE_TPM2_ACTIVE_PCR_BANKS | LOADER_FEATURE_ENTRY_PREFERRED |                          \
         LOADER_FEATURE_KEYBOARD_LAYOUT | LOADER_FEATURE_MEASURE_SMBIOS)

struct loader {
        EFI_HANDLE image;
        EFI_LOADED_IMAGE *loaded_image;
        struct partition esp;
        struct partition xbootldr;
        bool has_xbootldr;
        bool sysfail;                /* the firmware reported a system failure (sysfail_check) */
        struct loader_config config;
        struct entry_list entries;
};

static void config_warn(void *userdata _unused_, unsigned line, const char *what, struct slice key) {
        char name[64];
        size_t n = key.len < sizeof(name) - 1 ? key.len : sizeof(name) - 1;

        memcpy(name, key.ptr, n);
        name[n] = '\0';
        efi_log(LOG_LEVEL_WARNING, "keel: loader.conf:%u: %s '%s', ignoring\n", line, what, name);
}

static void entry_warn(void *userdata _unused_, const char *filename, const char *what) {
        efi_log(LOG_LEVEL_WARNING, "keel: %s: %s\n", filename, what);
}

/* The log level before loader.conf is read: SMBIOS type 11
 * io.systemd.boot.loglevel= (systemd 259), else "info". */
static void log_level_from_smbios(void) {
        CHAR16 *value = smbios_oem_string("io.systemd.boot.loglevel=");
        enum log_level level;
        char text[16];
        size_t n;

        if (!value)
                return;
        n = utf16_strnlen(value, sizeof(text) - 1);
        for (size_t i = 0; i < n; i++)
                text[i] = value[i] < 0x80 ? (char) value[i] : '?';
        text[n] = '\0';
        efi_free(value);
        if (parse_log_level(slice_from_cstr(text), &level))
                efi_log_max_level = level;
        else
                efi_print("keel: SMBIOS io.systemd.boot.loglevel=%s is no log level, ignoring it\n", text);
}

/* loader.conf as read, into PCR 5 before any of it is used, as
 * systemd-boot 262 measures it: the file's bytes, one EV_EVENT_TAG event
 * tagged LOADER_CONF_EVENT_TAG_ID with "loader.conf". Nothing without a TPM;
 * a failed measurement is reported and the file still used, as 262 does. */
static void measure_config(const void *data, size_t size) {
        EFI_STATUS err = tpm_log_tagged_event(MEASURE_PCR_BOOT_LOADER_CONFIG, data, size, LOADER_CONF_EVENT_TAG_ID,
                                              L"loader.conf");

        if (err != EFI_SUCCESS && err != TPM_STATUS_ABSENT)
                efi_print("keel: cannot measure loader.conf into PCR 5: %s\n", efi_status_text(err));
}

/* The whole file, read once: what is measured is what is parsed. */
static EFI_STATUS parse_config_file(EFI_FILE *root, struct loader_config *c) {
        void *data = NULL;
        size_t size = 0;
        EFI_STATUS err = file_read_all(root, LOADER_CONF_PATH, LOADER_CONF_SIZE_MAX, &data, &size);

        if (err == EFI_SUCCESS) {
                measure_config(data, size);
                loader_config_parse(c, data, size, config_warn, NULL);
        }
        efi_free(data);
        return err;
}

/* An absent loader.conf means the defaults; one that is there but cannot
 * be read means the defaults with the editor off (it may have said "editor
 * no"), and a warning. */
static void read_config(struct loader *L) {
        bool is_directory = false;
        uint64_t size = 0;
        EFI_STATUS err = file_stat(L->esp.root, LOADER_CONF_PATH, &is_directory, &size);

        loader_config_init(&L->config);
        if (err == EFI_NOT_FOUND)
                return;
        if (err == EFI_SUCCESS && is_directory) {
                efi_print("keel: loader.conf is a directory; using the defaults with the editor off\n");
                loader_config_init_fail_safe(&L->config);
                return;
        }
        if (err == EFI_SUCCESS && size > LOADER_CONF_SIZE_MAX) {
                efi_print("keel: loader.conf is larger than %u bytes; using the defaults with the editor off\n",
                          LOADER_CONF_SIZE_MAX);
                loader_config_init_fail_safe(&L->config);
                return;
        }
        if (err == EFI_SUCCESS)
                err = parse_config_file(L->esp.root, &L->config);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot read loader.conf: %s; using the defaults with the editor off\n",
                          efi_status_text(err));
                loader_config_init_fail_safe(&L->config);
        }
}

/* LoaderConfigTimeoutOneShot (consumed) > LoaderConfigTimeout > loader.conf > 0. */
static struct timeout_setting effective_timeout(const struct loader_config *c) {
        const CHAR16 *names[] = { L"LoaderConfigTimeoutOneShot", L"LoaderConfigTimeout" };
        struct timeout_setting t = { TIMEOUT_SECONDS, 0 };
        bool found = false;

        for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
                char *v = bli_read_string(names[i], i == 0);
                if (v && !found && parse_timeout(slice_from_cstr(v), &t))
                        found = true;
                efi_free(v);
        }
        if (!found && c->timeout.mode != TIMEOUT_UNSET)
                t = c->timeout;
        return t;
}

/* auto-entries: other boot loaders and tools found at their well-known
 * paths on the ESP, offered after the sorted entries like systemd-boot does. */
static void add_auto_entries(struct loader *L) {
        static const struct {
                const char *id, *title, *path;
        } known[] = {
                { "auto-windows", "Windows Boot Manager", "\\EFI\\Microsoft\\Boot\\bootmgfw.efi" },
                { "auto-efi-shell", "EFI Shell", arch_efi_shell_path },
        };

        for (size_t i = 0; i < ARRAY_SIZE(known); i++) {
                CHAR16 *path = path_from_entry(known[i].path);
                bool is_directory = false;
                uint64_t size = 0;

                /* A program, as for entries: a directory or an empty file of
                 * that name would only fail once chosen. */
                if (path && file_stat(L->esp.root, path, &is_directory, &size) == EFI_SUCCESS && !is_directory &&
                    size > 0)
                        entries_add_auto_efi(&L->entries, known[i].id, known[i].title, known[i].path);
                efi_free(path);
        }
}

/* The same sizes and the same ranked list as `keel entries`, so that with
 * more entries than fit, both keep the same ones: those first in menu order. */
static bool discover(struct loader *L) {
        size_t capacity = ENTRY_MENU_MAX + ENTRY_MENU_RESERVED;
        struct boot_entry *storage = efi_alloc_zero(capacity * sizeof(struct boot_entry));
        char *arena = efi_alloc(ENTRY_MENU_ARENA_SIZE);

        if (!storage || !arena) {
                efi_print("keel: out of memory for boot entries\n");
                return false;
        }
        entry_list_init_ranked(&L->entries, storage, capacity, ENTRY_MENU_RESERVED, arena, ENTRY_MENU_ARENA_SIZE,
                               entry_warn, NULL);
        /* The menu is for this machine: Type #1 entries naming another architecture are hidden. */
        entry_list_set_architecture(&L->entries, arch_bls_architecture, arch_pe_machine);
        count_recover_moves(L->esp.root);
        discover_entries(&L->entries, L->esp.root, ENTRY_SOURCE_ESP);
        L->has_xbootldr = partition_open_by_type(L->esp.device, gpt_type_xbootldr, "XBOOTLDR", &L->xbootldr) ==
                          EFI_SUCCESS;
        if (L->has_xbootldr) {
                count_recover_moves(L->xbootldr.root);
                discover_entries(&L->entries, L->xbootldr.root, ENTRY_SOURCE_XBOOTLDR);
        }
        entries_sort(&L->entries);
        if (L->config.auto_entries)
                add_auto_entries(L);
        if (L->config.secure_boot_enroll == SECURE_BOOT_ENROLL_MANUAL && secure_boot_setup_mode())
                enroll_add_menu_entries(&L->entries, L->esp.root);
        if (L->config.auto_firmware && firmware_setup_supported())
                entries_add_auto_firmware(&L->entries);
        return true;
}

/* The variables that pick the default entry, as systemd-boot 262 reads
 * them; the one-shot one is deleted once read. */
struct default_variables {
        char *oneshot, *preferred, *efivar_default, *sysfail, *saved;
};

static void read_default_variables(struct loader *L, struct default_variables *v) {
        v->oneshot = bli_read_string(L"LoaderEntryOneShot", true);
        v->preferred = bli_read_string(L"LoaderEntryPreferred", false);
        v->efivar_default = bli_read_string(L"LoaderEntryDefault", false);
        v->sysfail = L->sysfail ? bli_read_string(L"LoaderEntrySysFail", false) : NULL;
        v->saved = L->config.default_saved || (v->efivar_default && strcmp(v->efivar_default, "@saved") == 0)
                           ? bli_read_string(L"LoaderEntryLastBooted", false)
                           : NULL;
}

static void free_default_variables(struct default_variables *v) {
        efi_free(v->oneshot);
        efi_free(v->preferred);
        efi_free(v->efivar_default);
        efi_free(v->sysfail);
        efi_free(v->saved);
}

static size_t select_default(struct loader *L, const struct default_variables *v) {
        const struct entry_default_request r = {
                .sysfail = v->sysfail,
                .oneshot = v->oneshot,
                .preferred = v->preferred,
                .efivar_default = v->efivar_default,
                .saved = v->saved,
                .config = &L->config,
        };

        return entries_select_default(&L->entries, &r);
}

/* LoaderEntryLastBooted, as systemd-boot keeps it: the booted entry with
 * `@saved` (in LoaderEntryDefault, or in loader.conf while
 * LoaderEntryDefault is unset), unless it was a one-shot boot; deleted when
 * nothing uses it. */
static void save_selected(const struct loader *L, const struct default_variables *v, const struct boot_entry *e) {
        bool efivar_saved = v->efivar_default && strcmp(v->efivar_default, "@saved") == 0;

        if (entry_is_auto(e) || (v->oneshot && strcmp(v->oneshot, e->id) == 0))
                return;
        if (efivar_saved || (!v->efivar_default && L->config.default_saved)) {
                if (!v->saved || strcmp(v->saved, e->id) != 0)
                        bli_set_persistent_string(L"LoaderEntryLastBooted", e->id);
        } else if (v->saved)
                bli_set_persistent_string(L"LoaderEntryLastBooted", NULL);
}

static const struct partition *partition_of(struct loader *L, const struct boot_entry *e) {
        return e->source == ENTRY_SOURCE_XBOOTLDR && L->has_xbootldr ? &L->xbootldr : &L->esp;
}

static EFI_STATUS try_entry(struct loader *L, size_t index, const char *edited_options) {
        struct boot_entry *e = &L->entries.entries[index];
        const struct partition *part = partition_of(L, e);
        struct boot_options o = { .watchdog_seconds = L->config.watchdog_seconds, .edited_options = edited_options };
        EFI_STATUS err;

        bli_export_selected(e);
        err = count_boot_try(part, e);
        if (err != EFI_SUCCESS)
                return err;
        /* As systemd-boot: only for what starts Linux (a UKI or a Type #1
         * kernel or `uki`), with the seed file on the loader's own ESP,
         * refreshed on disk before anything of the entry runs. */
        if (e->type == ENTRY_TYPE2 || (e->type == ENTRY_TYPE1 && (e->linux_path || e->uki_path)))
                (void) random_seed_process(L->esp.root, false);
        bli_export_time(L"LoaderTimeExecUSec", time_usec());
        return boot_entry_start(L->image, part, e, &o);
}

static void reboot_after(uint32_t seconds, EFI_STATUS err) {
        BS->Stall((UINTN) seconds * 1000 * 1000);
        RT->ResetSystem(EfiResetCold, err, 0, NULL);
}

/* reboot-on-error (systemd 258): after the chosen entry failed, reboot
 * rather than try the next one in this boot: always ("yes"), or ("auto")
 * when the try was counted with tries left, so that the next boot, with a
 * clean measurement log, counts the next try or picks the next entry. */
static bool reboot_on_error(const struct loader *L, int64_t tries_left_before) {
        switch (L->config.reboot_on_error) {
        case REBOOT_ON_ERROR_YES:
                return true;
        case REBOOT_ON_ERROR_AUTO:
                return tries_left_before > 0;
        default:
                return false;
        }
}

/* The chosen entry first, then every other entry in menu order after it,
 * then those before it: an unattended machine keeps trying until
 * something boots (unless reboot-on-error asks for a reboot first). */
static EFI_STATUS boot_with_fallback(struct loader *L, size_t chosen, const char *edited_options) {
        size_t n = L->entries.n_entries;
        EFI_STATUS err = EFI_NOT_FOUND;

        for (size_t k = 0; k < n; k++) {
                size_t i = (chosen + k) % n;
                const struct boot_entry *e = &L->entries.entries[i];
                int64_t tries_left = e->tries_left;

                if (k > 0 && entry_is_auto(e))
                        continue;
                if (k > 0)
                        efi_log(LOG_LEVEL_NOTICE, "keel: trying the next entry: %s\n", e->id);
                err = try_entry(L, i, k == 0 ? edited_options : NULL);
                efi_log(LOG_LEVEL_ERR, "keel: entry %s failed: %s\n", e->id, efi_status_text(err));
                if (k == 0 && reboot_on_error(L, tries_left)) {
                        efi_log(LOG_LEVEL_ERR, "keel: reboot-on-error: rebooting in %u s\n",
                                L->config.reboot_delay_seconds);
                        reboot_after(L->config.reboot_delay_seconds, err);
                }
        }
        efi_log(LOG_LEVEL_ERR, "keel: no boot entry could be started; rebooting in %u s\n",
                L->config.reboot_delay_seconds);
        reboot_after(L->config.reboot_delay_seconds, err);
        return err;
}

EFI_STATUS loader_run(EFI_HANDLE image, const struct self_image *self) {
        uint64_t init_usec = time_usec();
        struct loader L = { .image = image, .loaded_image = self->loaded_image };
        struct default_variables vars;
        struct menu_request request;
        struct menu_result result;
        EFI_STATUS err;

        /* First, as systemd-boot: PCR 1 gets the SMBIOS structures before
         * anything of the ESP is read. */
        smbios_measure();
        log_level_from_smbios();
        L.esp.device = self->loaded_image->DeviceHandle;
        err = file_open_volume(L.esp.device, &L.esp.root);
        if (err != EFI_SUCCESS) {
                efi_print("keel: cannot open the partition keel was started from: %s\n", efi_status_text(err));
                return err;
        }
        bli_export_loader_info(self->loaded_image, init_usec, KEEL_LOADER_FEATURES);
        /* Before anything is read, as systemd-boot: a driver may make the
         * XBOOTLDR partition readable. */
        drivers_load(image, L.esp.device, L.esp.root);
        read_config(&L);
        if (L.config.log_level_set)
                efi_log_max_level = L.config.log_level;
        if (L.config.secure_boot_enroll == SECURE_BOOT_ENROLL_FORCE && secure_boot_setup_mode())
                enroll_force(L.esp.root, &L.config);
        if (!discover(&L))
                return EFI_OUT_OF_RESOURCES;
        bli_export_entries(&L.entries);
        L.sysfail = sysfail_check();
        read_default_variables(&L, &vars);

        request = (struct menu_request) {
                .entries = &L.entries,
                .default_index = select_default(&L, &vars),
                .timeout = effective_timeout(&L.config),
                .editor_allowed = L.config.editor && !secure_boot_enabled(),
                .firmware_setup = firmware_setup_supported(),
                .idle_seconds = L.config.reboot_delay_seconds,
                .console_mode = L.config.console_mode,
        };
        result = menu_run(&request);
        bli_export_time(L"LoaderTimeMenuUSec", time_usec());

        switch (result.action) {
        case MENU_BOOT:
                save_selected(&L, &vars, &L.entries.entries[result.index]);
                err = boot_with_fallback(&L, result.index, result.edited_options);
                break;
        case MENU_FIRMWARE_SETUP:
                err = reboot_into_firmware();
                break;
        case MENU_REBOOT:
                RT->ResetSystem(EfiResetCold, EFI_SUCCESS, 0, NULL);
                err = EFI_DEVICE_ERROR;
                break;
        default:
                err = EFI_NOT_FOUND;
                break;
        }
        efi_free(result.edited_options);
        free_default_variables(&vars);
        return err;
}
