/* SPDX-License-Identifier: MIT */
/* UAPI version comparison (common/version.c). Every expected result in
 * this file was produced by `systemd-analyze compare-versions -- A B`
 * (systemd 252.39, Debian 12; exit status 0/11/12 for =/>/<) when the test
 * was written, not by keel; tests/differential/versions.py re-checks random
 * pairs against the live tool. Every comparison runs on heap copies of
 * exactly the string's length (no NUL after it), so AddressSanitizer
 * catches a read past the end of a slice. */
#include "keel-test.h"

#include "common/version.h"

struct vector {
        const char *a, *b;
        int expected; /* sign of systemd-analyze's answer */
};

static int sign(int v) {
        return (v > 0) - (v < 0);
}

/* version_compare on exact-size copies of a[0..alen) and b[0..blen). */
static int compare_exact(const char *a, size_t alen, const char *b, size_t blen) {
        uint8_t *x = exact_copy(a, alen), *y = exact_copy(b, blen);
        int r = version_compare(slice_from((const char *) x, alen), slice_from((const char *) y, blen));
        free(x);
        free(y);
        return sign(r);
}

static void expect_order(const char *a, size_t alen, const char *b, size_t blen, int expected) {
        int ab = compare_exact(a, alen, b, blen), ba = compare_exact(b, blen, a, alen);

        if (ab != expected || ba != -expected)
                fail_msg("'%.*s' vs '%.*s': keel says %d (reversed %d), systemd-analyze %d", (int) (alen > 60 ? 60 : alen),
                         a, (int) (blen > 60 ? 60 : blen), b, ab, ba, expected);
}

/* Pairs drawn from tricky versions and entry IDs (pre-releases, patch
 * releases, leading zeros, separators, non-version characters, 23-digit
 * numbers), answered by systemd-analyze compare-versions. */
static const struct vector vectors[] = {
        { "1~-", "debian-6.1.0-56.efi", 1 },
        { "1.0.1", "nixos-generation-12.conf", 1 },
        { "A", "-", 1 },
        { "00", "1.0-rc1", -1 },
        { "01", ".", 1 },
        { "99999999999999999999999", "debian-6.1.0-56.efi", 1 },
        { "001.002", "1.0.rc1", 1 },
        { "a", "1.0-rc1", -1 },
        { "1", "6.10", -1 },
        { "250", "fedora-6.10.conf", 1 },
        { "1.9~", "250", -1 },
        { "00", "1~-", -1 },
        { "001.002", "1a", -1 },
        { "a1", "debian-6.1.0-56.efi", -1 },
        { "1a", "a+3.conf", 1 },
        { "01", "ab", 1 },
        { "1.0^post", "1+2", -1 },
        { "001.002", "1 2", -1 },
        { "debian-6.1.0-9.efi", "debian-6.1.0-56.efi", -1 },
        { "1b", "0000000000000000000000001", 1 },
        { "1", "2022.11", -1 },
        { "1.0", "1.0-rc1", -1 },
        { "1.9~~", "abc", 1 },
        { "1", "nixos-generation-9.conf", 1 },
        { "A", "6.1", -1 },
        { "1", "1.0.1", -1 },
        { "1.9~~", "1.0-", 1 },
        { "00", "nixos-generation-12.conf", 1 },
        { "1.0.0", "250~rc1", -1 },
        { "1.0-2", "fedora-6.1.conf", 1 },
        { "1a", "1.0-rc1", 1 },
        { "1.0.1", "1a", -1 },
        { "0000000000000000000000001", "nixos-generation-9.conf", 1 },
        { "1.0", "6.1.0-9-amd64", -1 },
        { "1-", "6.10", -1 },
        { "1.9~rc1", "1.9~~", 1 },
        { "1.2", "6.1.0-9-amd64", -1 },
        { "1.9~rc1", "6.1", -1 },
        { "b", "0000000000000000000000001", -1 },
        { "1.2", "1.0-1", 1 },
        { "1", "a+3.conf", 1 },
        { "1", "1+2", -1 },
        { "1.9~rc2", "a.conf", 1 },
        { "249.3", "99999999999999999999999", -1 },
        { "x\xc3""\x97""1", "fedora-6.10.conf", 1 },
        { "a1", "-", 1 },
        { "1-", "1.0.rc1", -1 },
        { "~1", "2022.11", -1 },
        { "^", "1 2", -1 },
        { "a", "1:2", -1 },
        { "1.0-", "1 2", -1 },
        { "1.0^", "Ab", 1 },
        { "1.10", "1.0.rc1", 1 },
        { "1.0^post", "a.conf", 1 },
        { "001.002", "1.0^post", 1 },
        { "1.0-", "99999999999999999999999", -1 },
        { "1:2", "debian-6.1.0-9.efi", 1 },
        { "249.3", "2022.11", -1 },
        { "1..2", "fedora-6.1.conf", 1 },
        { "-", "a+3.conf", -1 },
        { "1.0-2", "1+2", -1 },
        { "01", "6.1.0-9-amd64", -1 },
        { "1.0", "6.10", -1 },
        { "2022.11", "fedora-6.1.conf", 1 },
        { "debian-6.1.0-56.efi", "a+3.conf", 1 },
        { "1.9", "debian-6.1.0-9.efi", 1 },
        { "1..2", "1 2", -1 },
        { "1.0.1", "1.0rc1", -1 },
        { "6.1", "249.3", -1 },
        { "1b", "249.3", -1 },
        { "00", "abc", 1 },
        { "01", "nixos-generation-12.conf", 1 },
        { "1-", "1.0rc1", -1 },
        { "1..2", "6.1", -1 },
        { "1.-2", "6.1", -1 },
        { "249.3", "100000000000000000000000", -1 },
        { "^", "a.conf", -1 },
        { "01", "1-~", -1 },
        { "001.002", "a.conf", 1 },
        { "1.0-1", "1~-", 1 },
        { "6.1.0-56-amd64", "0000000000000000000000001", 1 },
        { "01", "1.0.1", -1 },
        { "1", "99999999999999999999999", -1 },
        { "1-", "2022.11", -1 },
        { "-", "1+2", -1 },
        { "1.0-2", "~", 1 },
        { "abc", "~", 1 },
        { "1.-2", "A", 1 },
        { "0", "a", 1 },
        { ".", "nixos-generation-9.conf", -1 },
        { "1.-2", "1.0rc1", -1 },
        { "1.10", "1.0^^", 1 },
        { "1.0", ".", 1 },
        { "6.1", "1.0rc1", 1 },
        { "1", "250", -1 },
        { "1.9~", "debian-6.1.0-9.efi", 1 },
        { "1.0-2", "2022.11", -1 },
        { "1.0.0", "abc", 1 },
        { "1.0^", "ab", 1 },
        { "A", "1_2", -1 },
        { "abc", "fedora-6.1.conf", -1 },
        { "fedora-6.10.conf", "nixos-generation-12.conf", -1 },
        { "001.002", "1.10", -1 },
        { "1.9", "1.0-rc1", 1 },
        { "-", "a.conf", -1 },
        { "A", "1.0rc1", -1 },
        { "1.0-1", "0000000000000000000000001", 1 },
        { "1.0.0", "debian-6.1.0-9.efi", 1 },
        { "a1", "1_2", -1 },
        { "1.0-1", "fedora-6.10.conf", 1 },
        { "1a", "1 2", -1 },
        { "a", ".", 1 },
        { "ab", "1:2", -1 },
        { "1.9~~", "debian-6.1.0-9.efi", 1 },
        { "1.0.1", "debian-6.1.0-9.efi", 1 },
        { "001.002", "1.0-2", 1 },
        { "1.10", "1:2", -1 },
        { "1.0.1", "debian-6.1.0-56.efi", 1 },
        { "1.9~~", "1.0.rc1", 1 },
        { "1.0^post", "1.0-2", 1 },
        { "", "1+2", -1 },
        { "6.10", "1 2", 1 },
        { "1.9~rc1", "1.0-", 1 },
        { "1.0^^", "6.1.0-9-amd64", -1 },
        { "1.0-2", "1..2", 1 },
        { "", "1.0^", -1 },
        { "1.0.1", ".", 1 },
        { "nixos-generation-9.conf", "1.0rc1", -1 },
        { "b", "6.10", -1 },
        { "1~-", "6.1.0-56-amd64", -1 },
        { "1.0.0", "1.9~~", -1 },
        { "1_2", "99999999999999999999999", -1 },
        { "1", "a", 1 },
        { "^", "1.0.rc1", -1 },
        { "abc", "a+3.conf", 1 },
        { "A", "1+2", -1 },
        { "A", "99999999999999999999999", -1 },
        { "A", "1b", -1 },
        { "1.2", "6.1", -1 },
        { "6.1.0-9-amd64", "debian-6.1.0-56.efi", 1 },
        { "A", "nixos-generation-12.conf", -1 },
        { "1", "nixos-generation-12.conf", 1 },
        { "1.9~rc1", "100000000000000000000000", -1 },
        { "01", "1.0^^", -1 },
        { "1.9~", "1~-", 1 },
        { "~", "nixos-generation-9.conf", -1 },
        { "1.9", "1+2", -1 },
        { "1.0", "1.9", -1 },
        { "1..2", "6.10", -1 },
        { "1", "1.0-", -1 },
        { "1.2", ".", 1 },
        { "", "0", -1 },
        { "1 2", "100000000000000000000000", -1 },
        { "1.2", "a1", 1 },
        { "a", "nixos-generation-9.conf", -1 },
        { "0", ".", 1 },
        { "01", "A", 1 },
        { "1.9~", "1.0-1", 1 },
        { "ab", "1b", -1 },
        { "1.0.1", "1:2", -1 },
        { "1.0^", "2022.11", -1 },
        { "1.-2", "Ab", 1 },
        { "a", "debian-6.1.0-9.efi", -1 },
        { "6.1.0-56-amd64", "fedora-6.1.conf", 1 },
        { "1.0", "a+3.conf", 1 },
        { "1.0", "Ab", 1 },
        { "6.10", "1.0rc1", 1 },
        { "~1", "1_2", -1 },
        { "6.1.0-9-amd64", "fedora-6.1.conf", 1 },
        { "6.10", "250", -1 },
        { "1-", "fedora-6.1.conf", 1 },
        { "001.002", "Ab", 1 },
        { "nixos-generation-9.conf", "a.conf", 1 },
        { "1.2", "^", 1 },
        { "1..2", "99999999999999999999999", -1 },
        { "1.0^^", "1+2", -1 },
        { "6.1.0-9-amd64", "1+2", 1 },
        { "1.9", "250", -1 },
        { "0", "ab", 1 },
        { "1.9~rc2", "debian-6.1.0-9.efi", 1 },
        { "fedora-6.1.conf", "a+3.conf", 1 },
        { "1.0.1", "6.10", -1 },
        { "0", "249.3", -1 },
        { "1.0-", "249.3", -1 },
        { "001.002", "x\xc3""\x97""1", 1 },
        { "1.0^^", "a1", 1 },
        { "b", "1a", -1 },
        { "1.10", "1.9~", 1 },
        { "1.-2", "1.0.rc1", -1 },
        { "1.9~~", "b", 1 },
        { "250~rc1", "nixos-generation-9.conf", 1 },
        { "1-~", "6.10", -1 },
        { "1.9~~", "ab", 1 },
        { "1.9~rc2", "1.0-2", 1 },
        { "1.0^post", "249.3", -1 },
        { "A", "debian-6.1.0-9.efi", -1 },
        { "1.9~~", "6.1", -1 },
        { "1.9~rc2", ".", 1 },
        { "6.1", "debian-6.1.0-9.efi", 1 },
        { "2022.11", "1+2", 1 },
        { "0", "x\xc3""\x97""1", 1 },
        { "0", "1_2", -1 },
        { "1.0-1", "debian-6.1.0-56.efi", 1 },
        { "6.1.0-56-amd64", "1_2", 1 },
        { "1.0^^", "a", 1 },
        { "1.9~rc2", "1.9~", 1 },
        { "1..2", "debian-6.1.0-9.efi", 1 },
        { "-", "0000000000000000000000001", -1 },
        { "1.-2", "6.1.0-56-amd64", -1 },
        { "a", "a+3.conf", -1 },
        { "001.002", "1.9", -1 },
        { "1.9~~", "1.0-1", 1 },
        { "2022.11", "1.0rc1", 1 },
        { "1.9~~", "249.3", -1 },
        { "~1", "1.0.rc1", -1 },
        { "1.9~rc2", "1.-2", 1 },
        { "1..2", "1b", -1 },
        { "1.9~rc2", "fedora-6.10.conf", 1 },
        { "6.1.0-9-amd64", "1.0.rc1", 1 },
        { "", "1.0.0", -1 },
        { "6.1.0-9-amd64", "x\xc3""\x97""1", 1 },
        { "1..2", "nixos-generation-12.conf", 1 },
        { "001.002", "b", 1 },
        { "1.0", "1:2", -1 },
        { "abc", "250", -1 },
        { "1.9~rc2", "-", 1 },
        { "6.1.0-9-amd64", "2022.11", -1 },
        { "1.10", "debian-6.1.0-9.efi", 1 },
        { "a1", "a+3.conf", -1 },
        { "1-~", "99999999999999999999999", -1 },
        { "001.002", "~", 1 },
        { "1+2", "a+3.conf", 1 },
        { "6.1.0-56-amd64", "1 2", 1 },
        { "6.10", "100000000000000000000000", -1 },
        { "a", "2022.11", -1 },
        { "1.9~rc2", "A", 1 },
        { "1.9~~", "a.conf", 1 },
        { "1.9~rc2", "6.10", -1 },
        { "b", "x\xc3""\x97""1", -1 },
        { "6.1.0-56-amd64", "99999999999999999999999", -1 },
        { "00", "6.10", -1 },
        { "a", "99999999999999999999999", -1 },
        { "001.002", "1.2", 0 },
        { "001.002", "ab", 1 },
        { "x\xc3""\x97""1", "fedora-6.1.conf", 1 },
        { "1", "1.0.rc1", -1 },
        { "", "fedora-6.1.conf", -1 },
        { "01", "1 2", -1 },
        { "1.0-", "1b", -1 },
        { "^", "1_2", -1 },
        { "1.0^post", "1.0^^", 1 },
        { "Ab", "~", 1 },
        { "1-~", "~", 1 },
        { "0000000000000000000000001", "debian-6.1.0-9.efi", 1 },
        { "1-", "Ab", 1 },
        { "1a", "6.10", -1 },
        { "2022.11", "100000000000000000000000", -1 },
        { "6.1", "1+2", 1 },
        { "1.0^post", "~", 1 },
        { "1-~", ".", 1 },
        { "~1", "nixos-generation-12.conf", -1 },
        { "1.10", "250", -1 },
        { "01", "debian-6.1.0-56.efi", 1 },
        { "1.0-1", "6.1.0-56-amd64", -1 },
        { "1.0-1", "~1", 1 },
        { "01", "1.10", -1 },
        { "", "6.1", -1 },
        { "", "abc", -1 },
        { "A", "fedora-6.1.conf", -1 },
        { "6.10", "99999999999999999999999", -1 },
        { "a", "fedora-6.1.conf", -1 },
        { "1~-", "1.0.rc1", -1 },
        { "1", "1.0^post", -1 },
        { "1.0^^", "6.1", -1 },
        { "b", "1.0rc1", -1 },
        { "~1", "x\xc3""\x97""1", -1 },
        { "01", "b", 1 },
        { "1.9~", "0000000000000000000000001", 1 },
        { "~", "~1", -1 },
        { "1.2", "1.0^^", 1 },
        { "1a", "6.1.0-9-amd64", -1 },
        { "~", "6.1", -1 },
        { "1.2", "1 2", -1 },
        { "", "fedora-6.10.conf", -1 },
        { "1.0.0", "1.0^post", 1 },
        { "1.2", "100000000000000000000000", -1 },
        { "1.0.1", "6.1.0-9-amd64", -1 },
        { "1.0^", "6.1.0-56-amd64", -1 },
        { "1.0", "1 2", -1 },
        { "ab", "fedora-6.1.conf", -1 },
        { "1.0-", "1.-2", 1 },
        { "1.9", "x\xc3""\x97""1", 1 },
        { "1.0.0", "Ab", 1 },
        { "1.0-1", "Ab", 1 },
        { "1.9~", "1.-2", 1 },
        { "1a", "nixos-generation-9.conf", 1 },
        { "6.1", "100000000000000000000000", -1 },
        { "0", "nixos-generation-9.conf", 1 },
        { "^", "nixos-generation-9.conf", -1 },
        { "b", "250~rc1", -1 },
        { "1.10", "99999999999999999999999", -1 },
        { "0000000000000000000000001", "a+3.conf", 1 },
        { "1.9~~", "99999999999999999999999", -1 },
        { "1-~", "1_2", -1 },
        { "1.0-2", "1.0rc1", -1 },
        { "Ab", "99999999999999999999999", -1 },
        { "^", "250", -1 },
        { "1.0^^", "1-~", 1 },
        { "1.9~", "ab", 1 },
        { "1a", "6.1", -1 },
        { ".", "250", -1 },
        { "~", "x\xc3""\x97""1", -1 },
        { "1.0^", "6.1.0-9-amd64", -1 },
        { "01", "1.9", -1 },
        { "1.0^^", "100000000000000000000000", -1 },
        { "01", "x\xc3""\x97""1", 1 },
        { "1.0^^", "^", 1 },
        { "1.0^", "nixos-generation-12.conf", 1 },
        { "", ".", -1 },
        { "~", "6.1.0-9-amd64", -1 },
        { "1.9~~", "1.0^", 1 },
        { "abc", "250~rc1", -1 },
        { "001.002", "0000000000000000000000001", 1 },
        { "1-", "1.-2", -1 },
        { "", "1.0.1", -1 },
        { "abc", "249.3", -1 },
        { "A", "0000000000000000000000001", -1 },
        { "01", "1_2", -1 },
        { "debian-6.1.0-56.efi", "1.0rc1", -1 },
        { "01", "Ab", 1 },
        { "1.0^post", "1b", -1 },
        { "1-", "250", -1 },
        { "a", "100000000000000000000000", -1 },
        { "1", "1 2", -1 },
        { "1.0-1", "fedora-6.1.conf", 1 },
        { "0", "debian-6.1.0-9.efi", 1 },
        { "1:2", "1.0.rc1", 1 },
        { "1..2", "2022.11", -1 },
        { "250", "x\xc3""\x97""1", 1 },
        { "1.0^^", "1 2", -1 },
        { "1.0-1", "100000000000000000000000", -1 },
        { "1.0^post", "x\xc3""\x97""1", 1 },
        { "abc", "debian-6.1.0-56.efi", -1 },
        { "6.1.0-9-amd64", "250~rc1", -1 },
        { "1", "1~-", 1 },
        { "~", "a+3.conf", -1 },
        { "1.0-1", "1.0rc1", -1 },
        { "0", "1:2", -1 },
        { "1.0.0", "1.0.1", -1 },
        { "1.2", "1.10", -1 },
        { "1.0.1", "1.9", -1 },
        { "0", "1.0-", -1 },
        { "abc", "-", 1 },
        { "1", "1.2", -1 },
        { "1.0^", "99999999999999999999999", -1 },
        { "1.9~~", "6.1.0-9-amd64", -1 },
        { "1.0-2", "1.0-", 1 },
        { "6.10", "nixos-generation-12.conf", 1 },
        { "ab", "1_2", -1 },
        { "-", "100000000000000000000000", -1 },
        { "100000000000000000000000", "fedora-6.1.conf", 1 },
        { "0", "a.conf", 1 },
        { "1.9~~", "1~-", 1 },
        { "1.9", "1 2", -1 },
        { "1-", "1b", -1 },
        { "1.0^", "1+2", -1 },
        { "1.0-", "1.0.rc1", -1 },
        { "1.0^", "a+3.conf", 1 },
        { "1.2", "b", 1 },
        { "1.-2", "b", 1 },
        { "6.1.0-56-amd64", "6.1.0-9-amd64", 1 },
        { "~1", "a+3.conf", -1 },
        { "1.0^", "100000000000000000000000", -1 },
        { "1.0^^", "fedora-6.10.conf", 1 },
        { "Ab", "^", 1 },
        { "1.0^post", "6.1", -1 },
        { "~1", "a.conf", -1 },
        { "nixos-generation-12.conf", "1.0-rc1", -1 },
        { "250", "1_2", 1 },
        { "1.0^^", "-", 1 },
        { "~", "1+2", -1 },
        { "~", "1_2", -1 },
        { "6.10", "1:2", 1 },
        { ".", "fedora-6.1.conf", -1 },
        { "1.0-1", "a+3.conf", 1 },
        { "-", "x\xc3""\x97""1", -1 },
        { "1.2", "1b", -1 },
        { "1b", "^", 1 },
        { "1.9~~", "Ab", 1 },
        { "01", "1~-", 1 },
        { "1.9~", "1.0-", 1 },
        { "1", "100000000000000000000000", -1 },
        { "1.9~rc2", "1-~", 1 },
        { "nixos-generation-12.conf", "debian-6.1.0-56.efi", 1 },
        { "1.9", "1a", -1 },
        { "00", "1.0^^", -1 },
        { "1-~", "1.0-rc1", -1 },
        { "249.3", "1.0rc1", 1 },
        { "1.9~", "249.3", -1 },
        { "00", "1.0-1", -1 },
        { "0", "0", 0 },
        { "00", "00", 0 },
        { "1", "1", 0 },
        { "01", "01", 0 },
        { "001.002", "001.002", 0 },
        { "1.2", "1.2", 0 },
        { "1.0", "1.0", 0 },
        { "1.0.0", "1.0.0", 0 },
        { "1.0.1", "1.0.1", 0 },
        { "1.9", "1.9", 0 },
        { "1.10", "1.10", 0 },
        { "1.9~rc1", "1.9~rc1", 0 },
        { "1.9~rc2", "1.9~rc2", 0 },
        { "1.9~", "1.9~", 0 },
        { "1.9~~", "1.9~~", 0 },
        { "1.0^post", "1.0^post", 0 },
        { "1.0^", "1.0^", 0 },
        { "1.0^^", "1.0^^", 0 },
        { "1.0-1", "1.0-1", 0 },
        { "1.0-2", "1.0-2", 0 },
        { "1.0-", "1.0-", 0 },
        { "1-", "1-", 0 },
        { "1~-", "1~-", 0 },
        { "1-~", "1-~", 0 },
        { "1..2", "1..2", 0 },
        { "1.-2", "1.-2", 0 },
        { "a", "a", 0 },
        { "b", "b", 0 },
        { "ab", "ab", 0 },
        { "abc", "abc", 0 },
        { "A", "A", 0 },
        { "Ab", "Ab", 0 },
        { "1a", "1a", 0 },
        { "1b", "1b", 0 },
        { "a1", "a1", 0 },
        { "~", "~", 0 },
        { "-", "-", 0 },
        { "^", "^", 0 },
        { ".", ".", 0 },
        { "~1", "~1", 0 },
        { "6.1.0-56-amd64", "6.1.0-56-amd64", 0 },
        { "6.1.0-9-amd64", "6.1.0-9-amd64", 0 },
        { "6.10", "6.10", 0 },
        { "6.1", "6.1", 0 },
        { "249.3", "249.3", 0 },
        { "250~rc1", "250~rc1", 0 },
        { "250", "250", 0 },
        { "2022.11", "2022.11", 0 },
        { "1_2", "1_2", 0 },
        { "1+2", "1+2", 0 },
        { "1:2", "1:2", 0 },
        { "1 2", "1 2", 0 },
        { "x\xc3""\x97""1", "x\xc3""\x97""1", 0 },
        { "99999999999999999999999", "99999999999999999999999", 0 },
        { "100000000000000000000000", "100000000000000000000000", 0 },
        { "0000000000000000000000001", "0000000000000000000000001", 0 },
        { "fedora-6.1.conf", "fedora-6.1.conf", 0 },
        { "fedora-6.10.conf", "fedora-6.10.conf", 0 },
        { "nixos-generation-9.conf", "nixos-generation-9.conf", 0 },
        { "nixos-generation-12.conf", "nixos-generation-12.conf", 0 },
        { "debian-6.1.0-9.efi", "debian-6.1.0-9.efi", 0 },
        { "debian-6.1.0-56.efi", "debian-6.1.0-56.efi", 0 },
        { "a+3.conf", "a+3.conf", 0 },
        { "a.conf", "a.conf", 0 },
        { "1.0rc1", "1.0rc1", 0 },
        { "1.0.rc1", "1.0.rc1", 0 },
        { "1.0-rc1", "1.0-rc1", 0 },
};

static void test_known_answers(void **state) {
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(vectors); i++)
                expect_order(vectors[i].a, strlen(vectors[i].a), vectors[i].b, strlen(vectors[i].b), vectors[i].expected);
}

/* Bytes outside ASCII and control characters are not version characters:
 * they separate segments like '_'. One quirk comes along: systemd compares
 * the character after a '~' as a signed char when the other string has
 * ended, so "~\xff" is older than "~". From systemd-analyze. */
static const struct vector byte_vectors[] = {
        { "\xff", "1", -1 },
        { "\xff", "", 0 },
        { "1.\xff" "2", "1.2", -1 },
        { "1\xff" "2", "1.2", 1 },
        { "1\xff" "2", "12", -1 },
        { "\xc3\xa9" "1", "1", 0 },
        { "1\xc3", "1", 0 },
        { "\xed\xa0\x80", "a", -1 },
        { "1_2", "1.2", 1 },
        { "1_2", "12", -1 },
        { "_", "", 0 },
        { "_", "~", 1 },
        { "\x01", "\x02", 0 },
        { "~\xff", "~", -1 },
        { "1~\xff", "1~", -1 },
        { "~~\xff", "~~", -1 },
        { "~_", "~", 1 },
        { "", "~", 1 },
        { "", "~1", 1 },
        { "", "-", -1 },
        { "", "_1", -1 },
};

static void test_non_version_bytes(void **state) {
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(byte_vectors); i++)
                expect_order(byte_vectors[i].a, strlen(byte_vectors[i].a), byte_vectors[i].b, strlen(byte_vectors[i].b),
                             byte_vectors[i].expected);
}

/* systemd-analyze sorted these (insertion sort with compare-versions as the
 * comparator); every earlier one is strictly older than every later one. */
static const char *const ascending[] = {
        "~", "~~", "a", "ab", "abc", "0", "1~", "1~~", "1", "1.0", "01.1", "1.9~rc1", "1.9~rc2", "1.9", "1.9-1",
        "1.9^post", "1.9.1", "1.10", "2~", "2", "2.0", "2a", "10",
};

static void test_total_order(void **state) {
        (void) state;
        for (size_t i = 0; i < ARRAY_SIZE(ascending); i++)
                for (size_t j = 0; j < ARRAY_SIZE(ascending); j++)
                        expect_order(ascending[i], strlen(ascending[i]), ascending[j], strlen(ascending[j]),
                                     i < j ? -1 : i > j ? 1 : 0);
}

/* A NUL inside a slice (a C string cannot carry one to the peer) is just
 * another non-version character: "1\0" "2.0\0~rc1" orders exactly as
 * systemd-analyze orders "1_2.0_~rc1" against these. */
static const struct vector underscore_vectors[] = {
        { "1_2.0_~rc1", "1", 1 },         { "1_2.0_~rc1", "1.2", 1 },       { "1_2.0_~rc1", "12", -1 },
        { "1_2.0_~rc1", "1.2.0", 1 },     { "1_2.0_~rc1", "1.2.0~rc1", 1 }, { "1_2.0_~rc1", "1.2.0~rc2", 1 },
        { "1_2.0_~rc1", "1.2~rc1", 1 },   { "1_2.0_~rc1", "", 1 },          { "1_2.0_~rc1", "~", 1 },
        { "1_2.0_~rc1", "2", -1 },        { "1_2.0_~rc1", "1_2.0_~rc1", 0 }, { "1_2.0_~rc1", "1_2_0~rc1", -1 },
};

static void test_embedded_nul_is_a_separator(void **state) {
        static const char with_nul[] = "1\0" "2.0\0~rc1";
        (void) state;

        for (size_t i = 0; i < ARRAY_SIZE(underscore_vectors); i++) {
                const struct vector *v = &underscore_vectors[i];
                expect_order(v->a, strlen(v->a), v->b, strlen(v->b), v->expected);
                expect_order(with_nul, sizeof(with_nul) - 1, v->b, strlen(v->b), v->expected);
        }
}

/* 100 KB strings: no recursion, no quadratic work, no overflow of a digit
 * count. Expected signs from systemd-analyze on the same strings. */
#define LONG_N 100000
static char *long_string(int kind, size_t *ret_len) {
        char *s = malloc(LONG_N + 1);
        size_t n = LONG_N;

        assert_non_null(s);
        switch (kind) {
        case 0: memset(s, '9', n); break;                                  /* "9" * 100000 */
        case 1: memset(s, '0', n + 1); s[0] = '1'; n++; break;             /* "1" + "0" * 100000 */
        case 2: memset(s, '~', n); break;                                  /* "~" * 100000 */
        case 3: memset(s, '~', n); s[0] = '1'; break;                      /* "1" + "~" * 99999 */
        case 4: memset(s, 'a', n); break;                                  /* "a" * 100000 */
        case 5: memset(s, 'a', n); s[n - 1] = 'b'; break;                  /* "a" * 99999 + "b" */
        case 6: for (size_t i = 0; i < n; i++) s[i] = i % 2 ? '.' : '1'; break; /* "1." * 50000 */
        case 7:                                                            /* "1." * 49999 + "2" */
                n = 99999;
                for (size_t i = 0; i < n; i++)
                        s[i] = i % 2 ? '.' : '1';
                s[n - 1] = '2';
                break;
        default:                                                           /* ".-^" * 33333 */
                n = 99999;
                for (size_t i = 0; i < n; i++)
                        s[i] = ".-^"[i % 3];
                break;
        }
        *ret_len = n;
        return s;
}

static void test_long_strings(void **state) {
        /* systemd-analyze compare-versions on the nine strings of long_string() */
        static const int expected[9][9] = {
                { 0, -1, 1, 1, 1, 1, 1, 1, 1 },     { 1, 0, 1, 1, 1, 1, 1, 1, 1 },
                { -1, -1, 0, -1, -1, -1, -1, -1, -1 }, { -1, -1, 1, 0, 1, 1, -1, -1, 1 },
                { -1, -1, 1, -1, 0, -1, -1, -1, 1 }, { -1, -1, 1, -1, 1, 0, -1, -1, 1 },
                { -1, -1, 1, 1, 1, 1, 0, -1, 1 },   { -1, -1, 1, 1, 1, 1, 1, 0, 1 },
                { -1, -1, 1, -1, -1, -1, -1, -1, 0 },
        };
        (void) state;

        for (int i = 0; i < 9; i++)
                for (int j = 0; j < 9; j++) {
                        size_t alen, blen;
                        char *a = long_string(i, &alen), *b = long_string(j, &blen);
                        expect_order(a, alen, b, blen, expected[i][j]);
                        free(a);
                        free(b);
                }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_known_answers),
                cmocka_unit_test(test_non_version_bytes),
                cmocka_unit_test(test_total_order),
                cmocka_unit_test(test_embedded_nul_is_a_separator),
                cmocka_unit_test(test_long_strings),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
