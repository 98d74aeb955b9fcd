/* SPDX-License-Identifier: MIT */
/* The boot menu. Plain text that works on a serial console: one line per
 * entry, a marker on the selection, a countdown line, single-key commands
 * (arrows or j/k, Enter, d/D, e, t/T, h). */
#include "menu.h"
#include "bli.h"
#include "../common/utf.h"

#define TIMEOUT_STEP_MAX 3600
#define EDIT_MAX 4096

struct menu {
        const struct menu_request *r;
        size_t selected;
        size_t default_index;       /* follows `d` */
        size_t first_visible;
        int32_t countdown;          /* seconds left, -1: stopped */
        uint32_t timeout_setting;   /* what t/T change */
        const char *status;         /* one line of feedback */
        bool help;
};

/* loader.conf console-mode: a firmware text mode number, "max" (the most
 * rows and columns), or "keep"/"auto" (the firmware's choice). */
static void apply_console_mode(int32_t wanted) {
        SIMPLE_TEXT_OUTPUT_INTERFACE *out = ST->ConOut;
        UINTN cols, rows, best_area = 0;
        int32_t best = -1;

        if (!out->Mode || wanted == CONSOLE_MODE_KEEP || wanted == CONSOLE_MODE_AUTO)
                return;
        if (wanted >= 0) {
                if (out->SetMode(out, (UINTN) wanted) != EFI_SUCCESS)
                        efi_print("keel: console mode %u is not available\n", (unsigned) wanted);
                return;
        }
        for (int32_t m = 0; m < out->Mode->MaxMode; m++)
                if (out->QueryMode(out, (UINTN) m, &cols, &rows) == EFI_SUCCESS && cols * rows > best_area) {
                        best_area = cols * rows;
                        best = m;
                }
        if (best >= 0 && best != out->Mode->Mode)
                out->SetMode(out, (UINTN) best);
}

static void screen_clear(void) {
        ST->ConOut->ClearScreen(ST->ConOut);
}

static size_t visible_rows(void) {
        UINTN cols = 80, rows = 25;
        if (ST->ConOut->Mode && ST->ConOut->QueryMode(ST->ConOut, ST->ConOut->Mode->Mode, &cols, &rows) != EFI_SUCCESS)
                rows = 25;
        return rows > 8 ? rows - 7 : 1;
}

static void draw(struct menu *m) {
        const struct entry_list *l = m->r->entries;
        size_t rows = visible_rows();

        if (m->selected < m->first_visible)
                m->first_visible = m->selected;
        if (m->selected >= m->first_visible + rows)
                m->first_visible = m->selected - rows + 1;

        screen_clear();
        efi_print("%s boot menu\n\n", KEEL_VERSION_STRING);
        for (size_t i = m->first_visible; i < l->n_entries && i < m->first_visible + rows; i++) {
                const struct boot_entry *e = &l->entries[i];
                efi_print("%s %s%s%s%s%s\n", i == m->selected ? ">" : " ", e->title, e->version ? " (" : "",
                          e->version ? e->version : "", e->version ? ")" : "",
                          i == m->default_index ? "  [default]" : (entry_is_bad(e) ? "  [no tries left]" : ""));
        }
        efi_print("\n");
        if (m->countdown >= 0)
                efi_print("Booting the default entry in %u s.\n", (unsigned) m->countdown);
        else
                efi_print("\n");
        if (m->help)
                efi_print("Up/Down or j/k select, Enter boot, d/D set/clear default/preferred, e edit command line,\n"
                          "t/T timeout +/-, %sh help\n",
                          m->r->firmware_setup ? "f firmware setup, " : "");
        if (m->status)
                efi_print("%s\n", m->status);
}

/* Waits for a key, or for one second when counting down. Returns false on
 * the timer. */
static bool read_key(bool with_timer, EFI_INPUT_KEY *ret) {
        EFI_EVENT events[2];
        EFI_EVENT timer = NULL;
        UINTN n = 1, index = 0;

        if (ST->ConIn->ReadKeyStroke(ST->ConIn, ret) == EFI_SUCCESS)
                return true;
        events[0] = ST->ConIn->WaitForKey;
        if (with_timer && BS->CreateEvent(EVT_TIMER, 0, NULL, NULL, &timer) == EFI_SUCCESS) {
                BS->SetTimer(timer, TimerRelative, 10 * 1000 * 1000); /* 1 s in 100 ns units */
                events[n++] = timer;
        }
        BS->WaitForEvent(n, events, &index);
        if (timer)
                BS->CloseEvent(timer);
        if (index == 1)
                return false;
        return ST->ConIn->ReadKeyStroke(ST->ConIn, ret) == EFI_SUCCESS;
}

bool menu_key_pending(void) {
        EFI_INPUT_KEY key;
        /* Hidden menus open on any key held at start; the key itself is consumed. */
        return ST->ConIn->ReadKeyStroke(ST->ConIn, &key) == EFI_SUCCESS;
}

/* `d`: the selected entry becomes LoaderEntryDefault (systemd-boot's `d`),
 * or stops being it; `D`: the same for LoaderEntryPreferred (systemd 260:
 * the default that skips entries with no tries left). */
static void toggle_default(struct menu *m, bool preferred) {
        const struct boot_entry *e = &m->r->entries->entries[m->selected];
        const CHAR16 *name = preferred ? L"LoaderEntryPreferred" : L"LoaderEntryDefault";
        char *current = bli_read_string(name, false);

        if (current && strcmp(current, e->id) == 0) {
                bli_set_persistent_string(name, NULL);
                m->status = preferred ? "Preferred entry cleared (takes effect on the next boot)." :
                                        "Default cleared (takes effect on the next boot).";
        } else if (bli_set_persistent_string(name, e->id) == EFI_SUCCESS) {
                m->default_index = m->selected;
                m->status = preferred ? "Preferred entry set." : "Default set.";
        } else
                m->status = "Could not save the setting.";
        efi_free(current);
}

static void change_timeout(struct menu *m, int delta) {
        char text[16];
        size_t n = 0;
        uint32_t v;

        if (delta < 0 && m->timeout_setting == 0)
                return;
        m->timeout_setting = delta < 0 ? m->timeout_setting - 1 :
                                         (m->timeout_setting < TIMEOUT_STEP_MAX ? m->timeout_setting + 1 : TIMEOUT_STEP_MAX);
        v = m->timeout_setting;
        do {
                text[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        for (size_t i = 0; i < n / 2; i++) {
                char c = text[i];
                text[i] = text[n - 1 - i];
                text[n - 1 - i] = c;
        }
        text[n] = '\0';
        m->status = bli_set_persistent_string(L"LoaderConfigTimeout", text) == EFI_SUCCESS ? "Timeout saved." :
                                                                                             "Could not save the timeout.";
}

/* A one-line editor for the command line; returns NULL when cancelled.
 * Keys are echoed one by one rather than redrawing the line: on a serial
 * console a full redraw per key is slow enough to lose typed characters. */
static char *edit_line(const char *initial) {
        CHAR16 *line = efi_alloc((EDIT_MAX + 1) * sizeof(CHAR16));
        size_t len = 0;
        char *out;

        if (!line)
                return NULL;
        if (initial)
                len = utf8_to_utf16(initial, strlen(initial) < EDIT_MAX ? strlen(initial) : EDIT_MAX, line);
        line[len] = 0;
        efi_print("\n> %ls", line);
        for (;;) {
                EFI_INPUT_KEY key;
                CHAR16 echo[2] = { 0, 0 };

                if (!read_key(false, &key))
                        continue;
                if (key.ScanCode == SCAN_ESC) {
                        efi_free(line);
                        return NULL;
                }
                if (key.UnicodeChar == CHAR_CARRIAGE_RETURN)
                        break;
                if (key.UnicodeChar == CHAR_BACKSPACE) {
                        if (len > 0) {
                                line[--len] = 0;
                                efi_print("\x08 \x08");
                        }
                } else if (key.UnicodeChar >= 0x20 && len < EDIT_MAX) {
                        line[len++] = key.UnicodeChar;
                        line[len] = 0;
                        echo[0] = key.UnicodeChar;
                        efi_print("%ls", echo);
                }
        }
        efi_print("\n");
        out = efi_alloc(3 * len + 1);
        if (out)
                utf16_to_utf8(line, len, out);
        efi_free(line);
        return out;
}

static struct menu_result no_entries_screen(const struct menu_request *r) {
        int32_t left = (int32_t) r->idle_seconds;

        for (;;) {
                EFI_INPUT_KEY key;

                screen_clear();
                efi_print("%s: no bootable entry found.\n\n", KEEL_VERSION_STRING);
                efi_print("Press r to reboot%s.\n", r->firmware_setup ? ", f to enter the firmware setup" : "");
                efi_print("Returning to the firmware in %u s.\n", (unsigned) left);
                if (!read_key(true, &key)) {
                        if (--left <= 0)
                                return (struct menu_result) { .action = MENU_GIVE_UP };
                        continue;
                }
                if (key.UnicodeChar == 'r')
                        return (struct menu_result) { .action = MENU_REBOOT };
                if (key.UnicodeChar == 'f' && r->firmware_setup)
                        return (struct menu_result) { .action = MENU_FIRMWARE_SETUP };
        }
}

static bool shows_menu(const struct menu_request *r) {
        switch (r->timeout.mode) {
        case TIMEOUT_MENU_FORCE:
                return true;
        case TIMEOUT_MENU_DISABLED:
                return false; /* not even a key held at start opens it */
        case TIMEOUT_SECONDS:
                if (r->timeout.seconds > 0)
                        return true;
                /* fall through */
        default:
                return menu_key_pending();
        }
}

struct menu_result menu_run(const struct menu_request *r) {
        struct menu m = {
                .r = r,
                .selected = r->default_index,
                .default_index = r->default_index,
                .countdown = r->timeout.mode == TIMEOUT_SECONDS && r->timeout.seconds > 0 ? (int32_t) r->timeout.seconds : -1,
                .timeout_setting = r->timeout.mode == TIMEOUT_SECONDS ? r->timeout.seconds : 0,
        };
        const struct entry_list *l = r->entries;

        if (r->default_index == SIZE_MAX)
                return no_entries_screen(r);
        if (!shows_menu(r))
                return (struct menu_result) { .action = MENU_BOOT, .index = r->default_index };
        apply_console_mode(r->console_mode);

        for (;;) {
                EFI_INPUT_KEY key;

                draw(&m);
                if (!read_key(m.countdown >= 0, &key)) {
                        if (--m.countdown <= 0)
                                return (struct menu_result) { .action = MENU_BOOT, .index = r->default_index };
                        continue;
                }
                m.countdown = -1; /* any key stops the countdown */
                m.status = NULL;
                if (key.ScanCode == SCAN_UP || key.UnicodeChar == 'k') {
                        if (m.selected > 0)
                                m.selected--;
                } else if (key.ScanCode == SCAN_DOWN || key.UnicodeChar == 'j') {
                        if (m.selected + 1 < l->n_entries)
                                m.selected++;
                } else if (key.ScanCode == SCAN_HOME)
                        m.selected = 0;
                else if (key.ScanCode == SCAN_END)
                        m.selected = l->n_entries - 1;
                else if (key.UnicodeChar == CHAR_CARRIAGE_RETURN)
                        return (struct menu_result) { .action = MENU_BOOT, .index = m.selected };
                else if (key.UnicodeChar == 'd' || key.UnicodeChar == 'D')
                        toggle_default(&m, key.UnicodeChar == 'D');
                else if (key.UnicodeChar == 't' || key.UnicodeChar == '+')
                        change_timeout(&m, +1);
                else if (key.UnicodeChar == 'T' || key.UnicodeChar == '-')
                        change_timeout(&m, -1);
                else if (key.UnicodeChar == 'h' || key.UnicodeChar == '?')
                        m.help = !m.help;
                else if (key.UnicodeChar == 'f' && r->firmware_setup)
                        return (struct menu_result) { .action = MENU_FIRMWARE_SETUP };
                else if (key.UnicodeChar == 'e') {
                        const struct boot_entry *e = &l->entries[m.selected];
                        char *edited;
                        if (!r->editor_allowed || entry_is_auto(e)) {
                                m.status = "The editor is disabled (loader.conf 'editor no' or Secure Boot).";
                                continue;
                        }
                        edited = edit_line(e->options);
                        if (edited)
                                return (struct menu_result) { .action = MENU_BOOT, .index = m.selected, .edited_options = edited };
                }
        }
}
