/* SPDX-License-Identifier: MIT */
/* The firmware keyboard layout reader behind LoaderKeyboardLayout
 * (common/keyboard-layout.c). Layouts are built here from the UEFI 2.10
 * layout (§34.3.9: EFI_HII_KEYBOARD_LAYOUT, packed: LayoutLength, Guid,
 * LayoutDescriptorStringOffset, DescriptorCount, 16-byte EFI_KEY_DESCRIPTORs;
 * at the offset an EFI_DESCRIPTION_STRING_BUNDLE: DescriptionCount, then
 * per string "<RFC 4646 tag> <description>\0" in UTF-16) on exact-size heap
 * copies, so AddressSanitizer sees any read past them. */
#include "keel-test.h"

#include "common/keyboard-layout.h"

struct layout {
        uint8_t buf[512];
        size_t size;
};

static void put16(struct layout *l, size_t at, uint16_t v) {
        l->buf[at] = (uint8_t) v;
        l->buf[at + 1] = (uint8_t) (v >> 8);
}

/* A layout with n_descriptors key descriptors and the strings (UTF-16
 * from ASCII, each with its NUL) after a bundle header counting count. */
static struct layout build(uint8_t n_descriptors, uint16_t count, const char *const *strings, size_t n_strings) {
        struct layout l = { .size = 0 };
        size_t o = KEYBOARD_LAYOUT_HEADER_SIZE + 16 * (size_t) n_descriptors;

        memset(l.buf, 0, sizeof(l.buf));
        memset(l.buf + 2, 0x4b, 16); /* Guid */
        l.buf[18] = (uint8_t) o;
        l.buf[19] = (uint8_t) (o >> 8);
        l.buf[22] = n_descriptors;
        memset(l.buf + KEYBOARD_LAYOUT_HEADER_SIZE, 0x11, 16 * (size_t) n_descriptors);
        put16(&l, o, count);
        o += 2;
        for (size_t i = 0; i < n_strings; i++) {
                for (const char *c = strings[i];; c++) {
                        put16(&l, o, (uint8_t) *c);
                        o += 2;
                        if (!*c)
                                break;
                }
        }
        l.size = o;
        put16(&l, 0, (uint16_t) o);
        return l;
}

static int language(const struct layout *l, char ret[static KEYBOARD_LAYOUT_TAG_MAX + 1]) {
        uint8_t *copy = exact_copy(l->buf, l->size);
        int r = keyboard_layout_language(copy, l->size, ret);

        free(copy);
        return r;
}

static void test_valid(void **state) {
        char tag[KEYBOARD_LAYOUT_TAG_MAX + 1];
        struct layout l;
        (void) state;

        l = build(2, 1, (const char *[]) { "de-DE German (Germany)" }, 1);
        assert_keel(language(&l, tag), KEEL_OK);
        assert_string_equal(tag, "de-DE");
        /* The first string's tag, whatever follows. */
        l = build(0, 2, (const char *[]) { "en-US English", "fr-FR Anglais" }, 2);
        assert_keel(language(&l, tag), KEEL_OK);
        assert_string_equal(tag, "en-US");
        /* A tag with nothing after its space (the NUL follows it). */
        l = build(1, 1, (const char *[]) { "sr-Latn-RS " }, 1);
        assert_keel(language(&l, tag), KEEL_OK);
        assert_string_equal(tag, "sr-Latn-RS");
        /* The longest tag kept: 35 characters. */
        l = build(0, 1, (const char *[]) { "abcdefgh-ijklmnop-qrstuvwx-yz012345 long" }, 1);
        assert_keel(language(&l, tag), KEEL_OK);
        assert_int_equal(strlen(tag), KEYBOARD_LAYOUT_TAG_MAX);
}

static void test_malformed(void **state) {
        char tag[KEYBOARD_LAYOUT_TAG_MAX + 1];
        struct layout l, good = build(1, 1, (const char *[]) { "de-DE German" }, 1);
        (void) state;

        l = good;
        l.size = KEYBOARD_LAYOUT_HEADER_SIZE - 1;
        put16(&l, 0, (uint16_t) l.size);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_SHORT);
        assert_string_equal(tag, "");
        /* LayoutLength says more, or less, than the firmware returned. */
        l = good;
        put16(&l, 0, (uint16_t) (l.size + 2));
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_LENGTH);
        l = good;
        l.size -= 2;
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_LENGTH);
        /* The bundle header must be inside: offset past the end, at the end,
         * one byte short of a bundle header, and a huge offset. */
        for (uint32_t off = (uint32_t) good.size - 1; off <= good.size + 1; off++) {
                l = good;
                memcpy(l.buf + 18, &off, 4);
                assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_OFFSET);
        }
        l = good;
        memset(l.buf + 18, 0xff, 4);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_OFFSET);
        /* No strings. */
        l = build(1, 0, NULL, 0);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_NO_STRINGS);
        l = build(1, 0, (const char *[]) { "de-DE German" }, 1);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_NO_STRINGS);
        /* A tag the layout ends inside of: no space, or cut before it. */
        l = build(1, 1, (const char *[]) { "de-DE" }, 1);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_BAD_TAG); /* its NUL is no tag character */
        l = build(1, 1, NULL, 0);
        l.buf[l.size] = 'd';
        l.size += 2;
        put16(&l, 0, (uint16_t) l.size);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_UNTERMINATED);
        assert_string_equal(tag, "");
        /* An odd byte after the last whole character is not read as one. */
        l.buf[l.size] = ' ';
        l.size += 1;
        put16(&l, 0, (uint16_t) l.size);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_UNTERMINATED);
        /* Empty tag. */
        l = build(1, 1, (const char *[]) { " German" }, 1);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_EMPTY_TAG);
        /* Characters no language tag has, and a tag of 36 characters. */
        l = build(1, 1, (const char *[]) { "de_DE German" }, 1);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_BAD_TAG);
        assert_string_equal(tag, "");
        l = build(1, 1, (const char *[]) { "de\nDE German" }, 1);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_BAD_TAG);
        l = build(0, 1, (const char *[]) { "abcdefgh-ijklmnop-qrstuvwx-yz0123456 long" }, 1);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_BAD_TAG);
        /* A UTF-16 character outside ASCII whose low byte is a letter. */
        l = good;
        put16(&l, KEYBOARD_LAYOUT_HEADER_SIZE + 16 + 2, 0x0164);
        assert_keel(language(&l, tag), KEEL_E_KBD_LAYOUT_BAD_TAG);
        assert_keel(keyboard_layout_language(NULL, 0, tag), KEEL_E_KBD_LAYOUT_SHORT);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_valid),
                cmocka_unit_test(test_malformed),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
