/* SPDX-License-Identifier: MIT */
/* The content files of thin UKIs (common/thin.h) on the host: making a ref
 * for a file, storing the file where the ref says, and finding and checking
 * the file a UKI's ref names on the UKI's volume. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "common/measure.h"
#include "common/thin.h"
#include "common/uki.h"
#include "host-tools/core/fileio.h"

/* The ref `keel install` writes for the file at path: its SHA-256, its size
 * and THIN_CONTENT_DIR "/<hex>.<suffix>" (suffix "linux" or "initrd").
 * Logs and returns -1 on failure (unreadable, not a regular file, larger
 * than THIN_CONTENT_MAX). */
int thin_ref_for_file(const char *path, const char *suffix, struct thin_ref *ret);

/* Hashes the files (those that can be opened; errors are left to the real
 * calls) on two threads, so that later thin_ref_for_file() and
 * thin_content_check() calls on unchanged files find their digests. */
void thin_digest_prefetch(const char *const *paths, size_t n);

/* The digests kept between runs (keel install: an unchanged re-run then
 * hashes nothing): loaded from path if it is the caller's own file, not
 * writable by others, of the right form; saved atomically (mode 0600) when
 * new digests were computed. As within a run, a digest counts only for a
 * file of the same device, inode, size, ctime and mtime; across runs only
 * for one on a local file system whose timestamps the running kernel sets
 * (ext4, XFS, Btrfs, tmpfs, F2FS, ZFS, bcachefs) with a ctime that has a
 * sub-second part. Files anywhere else (squashfs, erofs, overlayfs, NFS...)
 * or with a whole-second ctime are never kept: a new image can repeat all
 * of their stat data with other bytes. */
void thin_digest_cache_load(const char *path);

/* Hashes path anew (no cache) and checks it against ref: what is about to
 * be copied to the ESP is exactly what the UKI will name. Logs, -1 if not. */
int thin_content_verify_source(const char *path, const struct thin_ref *ref);
void thin_digest_cache_save(const char *path);

/* Writes source_path to volume_root + ref->path atomically (a temporary in
 * the same directory, fsync, rename, fsync of the directory), creating
 * missing directories. The bytes copied must match ref (size, SHA-256): a
 * source that changed since its ref was made is refused and nothing is
 * left behind. A file already there with the right size and SHA-256 is
 * kept as it is (generations share content). Logs and returns -1 on
 * failure. */
int thin_content_store(const char *volume_root, const char *source_path, const struct thin_ref *ref);

/* The volume a UKI file lives on, where its refs are resolved: the
 * directory two levels above a UKI in .../EFI/Linux/ (names matched
 * ignoring case, as on FAT). A malloc'd path, or NULL when the UKI is not
 * in such a directory. */
char *thin_volume_of_uki(const char *uki_path);

/* What the file a ref names is on a volume. */
enum thin_content_state {
        THIN_CONTENT_OK,
        THIN_CONTENT_MISSING,      /* absent, not a regular file, or unreadable */
        THIN_CONTENT_WRONG_SIZE,
        THIN_CONTENT_WRONG_HASH,
};

/* A content file found and checked. */
struct thin_content {
        enum thin_content_state state;
        char *path;                /* the host path (malloc'd), NULL when the volume has none */
        int fd;                    /* open when state is THIN_CONTENT_OK, else -1 */
        uint64_t size;
};

/* Finds ref->path below volume (ignoring case per component, as FAT does)
 * and checks its size and SHA-256. Returns 0 with ret->state set (the file
 * stays open only when it matches), or -1 (logged) when memory or OpenSSL
 * fail. */
int thin_content_check(const char *volume, const struct thin_ref *ref, struct thin_content *ret);
void thin_content_done(struct thin_content *c);

/* "missing", "size differs", "SHA-256 differs", "ok". */
const char *thin_content_state_string(enum thin_content_state state);

/* The refs of a UKI file held in image[0..len) whose sections are known:
 * has_* says which of .tlinux/.tinitrd the image has. Read as the stub reads
 * them (measure_thin_ref()). Returns KEEL_OK or the KEEL_E_* of the first
 * ref that does not parse. */
struct uki_thin_refs {
        bool has_linux, has_initrd;
        struct thin_ref linux_ref, initrd_ref;
};
int uki_read_thin_refs(const struct uki_sections *u, const uint8_t *image, size_t len, struct uki_thin_refs *ret);

/* What a PE image file names on its volume, whichever of its profiles
 * boots: the .tlinux/.tinitrd refs of every profile (a profile of a
 * multi-profile UKI may have its own). */
struct thin_file_ref {
        struct thin_ref ref;
        bool initrd;               /* .tinitrd; else .tlinux */
        unsigned profile;
};
struct thin_file_refs {
        bool is_pe;                /* false: no PE image keel reads (so no UKI the stub would start): names nothing */
        struct thin_file_ref *refs; /* malloc'd */
        size_t n;
};

/* Reads the refs of the file at path. Returns 0 with ret filled (n == 0 for
 * a PE image that is no thin UKI, or a file that is no PE image at all), or
 * -1 with the reason in why (why_size bytes) when the file cannot be read,
 * or is a PE image whose UKI sections or refs do not parse: what it names
 * cannot be known. Does not log. */
int thin_refs_of_file(const char *path, struct thin_file_refs *ret, char *why, size_t why_size);
void thin_file_refs_done(struct thin_file_refs *r);

/* The volume to resolve uki_path's refs on: root when given, else
 * thin_volume_of_uki(). A malloc'd path; logs one line ("WHAT: a thin UKI
 * outside .../EFI/Linux/: give --root DIR") and returns NULL when neither. */
char *thin_volume_for(const char *what, const char *uki_path, const char *root);

/* A thin UKI's content found on volume, checked against its refs and mapped,
 * as measure_uki_events() takes it. */
struct thin_mapped {
        struct measure_thin_content content;
        void *maps[2];
        size_t sizes[2];
};

/* Logs one line (prefixed by what: which section, which file, what is
 * wrong) and returns -1 when a content file is missing or differs from its
 * ref. ret is always safe to pass to thin_mapped_done(). */
int thin_content_map(const char *what, const char *volume, const struct uki_thin_refs *refs,
                     struct thin_mapped *ret);
void thin_mapped_done(struct thin_mapped *m);
