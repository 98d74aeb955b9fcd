/* SPDX-License-Identifier: MIT */
/* SBAT metadata: lets shim and firmware revoke vulnerable keel releases by
 * generation number. Bump the keel generation after a security fix. */
static const char sbat[] __attribute__((section(".sbat"), used)) =
        "sbat,1,SBAT Version,sbat,1,https://github.com/rhboot/shim/blob/main/SBAT.md\n"
        "keel,1,keel,keel," KEEL_VERSION ",https://r-seed-6b6069b4.example/keel\n";
