/* SPDX-License-Identifier: MIT */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/fs.h>
#include <linux/magic.h>

#include "host-tools/install/boot-entry.h"
#include "host-tools/install/load-option.h"
#include "host-tools/entries/efivars.h"
#include "host-tools/core/fileio.h"
#include "host-tools/core/log.h"
#include "common/gpt.h"

#define EFIVAR_ATTRIBUTES 0x00000007u   /* NON_VOLATILE | BOOTSERVICE_ACCESS | RUNTIME_ACCESS */
#define LOAD_OPTION_MAX 4096
#define BOOT_NUMBERS 0x10000u
#ifndef EFIVARFS_MAGIC
#define EFIVARFS_MAGIC 0xde5e81e4
#endif

/* A variable's value without its attributes; false when absent or
 * unreadable (*ret_len 0). At most EFIVAR_MAX bytes are read: a longer one
 * is cut, which no parser below mistakes for a whole value it accepts. */
static bool read_variable(const char *name, uint8_t *buf, size_t size, size_t *ret_len) {
        char path[PATH_MAX];
        size_t n = 0;
        ssize_t k;
        int fd;

        *ret_len = 0;
        snprintf(path, sizeof(path), "%s/%s-%s", efivarfs_dir(), name, EFI_GLOBAL_GUID_STR);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return false;
        while (n < size && (k = read(fd, buf + n, size - n)) > 0)
                n += (size_t) k;
        close(fd);
        if (n < EFIVAR_ATTRIBUTES_SIZE)
                return false;
        memmove(buf, buf + EFIVAR_ATTRIBUTES_SIZE, n - EFIVAR_ATTRIBUTES_SIZE);
        *ret_len = n - EFIVAR_ATTRIBUTES_SIZE;
        return true;
}

/* efivarfs makes most variables immutable (FS_IMMUTABLE_FL) against a
 * careless rm; it is lifted for the write and put back, as efibootmgr and
 * systemd do. Elsewhere (the tests' plain directory) the ioctls fail and
 * nothing is needed. */
static int set_immutable(int fd, bool on, bool *ret_was) {
        int flags;

        if (ioctl(fd, FS_IOC_GETFLAGS, &flags) < 0)
                return -1;
        if (ret_was)
                *ret_was = flags & FS_IMMUTABLE_FL;
        flags = on ? flags | FS_IMMUTABLE_FL : flags & ~FS_IMMUTABLE_FL;
        return ioctl(fd, FS_IOC_SETFLAGS, &flags);
}

/* One write() of attributes and value: efivarfs turns it into one
 * SetVariable() call. */
#define WRITE_FAILED "install: the loader is on the ESP, but EFI variable %s cannot be written (--no-boot-entry skips it)"

static int write_variable(const char *name, const uint8_t *value, size_t len) {
        char path[PATH_MAX];
        static uint8_t buf[EFIVAR_ATTRIBUTES_SIZE + LOAD_OPTION_MAX + 2 * BOOT_NUMBERS];
        bool was_immutable = false;
        struct statfs sfs;
        int fd, r = 0;
        ssize_t k;

        if (len > sizeof(buf) - EFIVAR_ATTRIBUTES_SIZE)
                return log_error("install: %s is too long to write", name);
        snprintf(path, sizeof(path), "%s/%s-%s", efivarfs_dir(), name, EFI_GLOBAL_GUID_STR);
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd >= 0) {
                (void) set_immutable(fd, false, &was_immutable);
                close(fd);
        }
        write_le32(buf, EFIVAR_ATTRIBUTES);
        memcpy(buf + EFIVAR_ATTRIBUTES_SIZE, value, len);
        fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0)
                return log_errno(errno, WRITE_FAILED, path);
        k = write(fd, buf, EFIVAR_ATTRIBUTES_SIZE + len);
        if (k != (ssize_t) (EFIVAR_ATTRIBUTES_SIZE + len))
                r = log_errno(k < 0 ? errno : EIO, WRITE_FAILED, path);
        /* A plain file keeps a longer old value's tail; efivarfs replaced it. */
        else if (fstatfs(fd, &sfs) == 0 && sfs.f_type != EFIVARFS_MAGIC && ftruncate(fd, (off_t) k) < 0)
                r = log_errno(errno, WRITE_FAILED, path);
        if (was_immutable)
                (void) set_immutable(fd, true, NULL);
        close(fd);
        return r;
}

static bool pread_all(int fd, void *buf, size_t len, uint64_t offset) {
        size_t n = 0;
        ssize_t k;

        while (n < len) {
                k = pread(fd, (uint8_t *) buf + n, len - n, (off_t) (offset + n));
                if (k <= 0)
                        return false;
                n += (size_t) k;
        }
        return true;
}

/* The GPT entry number of the disk at disk_dev (its primary table): the
 * partition's GUID, start and size in the disk's logical blocks; a reason
 * when not usable. */
static const char *read_gpt_entry(dev_t disk_dev, const char *disk_name, uint64_t block_size, uint64_t number,
                                  struct load_option_partition *ret) {
        char path[PATH_MAX];
        uint8_t header_block[4096], *entries = NULL;
        struct gpt_header h;
        const uint8_t *e;
        const char *reason = NULL;
        uint64_t first, last;
        int fd;

        if (block_size < 512 || block_size > sizeof(header_block) || !is_power_of_two(block_size))
                return "is on a disk of an unusual logical block size";
        snprintf(path, sizeof(path), "/dev/block/%u:%u", major(disk_dev), minor(disk_dev));
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(path, sizeof(path), "/dev/%s", disk_name);
                fd = open(path, O_RDONLY | O_CLOEXEC);
        }
        if (fd < 0)
                return "is on a disk that cannot be opened";
        if (!pread_all(fd, header_block, block_size, block_size) ||
            gpt_parse_header(header_block, block_size, 1, &h) != 0)
                reason = "is on a disk without a valid GPT";
        else if (number == 0 || number > h.n_entries)
                reason = "is on a partition the GPT does not list";
        else if (!(entries = malloc(gpt_entries_size(&h))) ||
                 h.entries_lba > UINT64_MAX / block_size ||
                 !pread_all(fd, entries, gpt_entries_size(&h), h.entries_lba * block_size) ||
                 crc32(0, entries, gpt_entries_size(&h)) != h.entries_crc32)
                reason = "is on a disk whose GPT partition entries are unreadable";
        if (!reason) {
                e = entries + (number - 1) * h.entry_size;
                first = read_le64(e + 32);
                last = read_le64(e + 40);
                if (memcmp(e, gpt_type_esp, 16) != 0)
                        reason = "is on a partition not of the ESP type";
                else if (first > last)
                        reason = "is on a partition with an invalid GPT entry";
                else {
                        ret->number = (uint32_t) number;
                        ret->start = first;
                        ret->size = last - first + 1;
                        memcpy(ret->guid, e + 16, 16);
                }
        }
        free(entries);
        close(fd);
        return reason;
}

/* Where the mounted ESP lives; a reason when it is no GPT partition of the
 * ESP type with a FAT file system (then no boot entry can name it). */
static const char *find_esp_partition(const char *esp, struct load_option_partition *ret) {
        char sys[PATH_MAX], disk[PATH_MAX - 64], real[PATH_MAX], *slash;
        uint64_t number, start, block_size = 512;
        unsigned maj, min;
        struct statfs sfs;
        struct stat st;
        FILE *f;
        const char *reason;

        if (statfs(esp, &sfs) < 0 || stat(esp, &st) < 0)
                return "cannot be examined";
        if (sfs.f_type != MSDOS_SUPER_MAGIC)
                return "is not a FAT file system (an image build into a directory?)";
        snprintf(sys, sizeof(sys), "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
        if (!realpath(sys, real) || !read_sysfs_u64(real, "partition", &number) ||
            !read_sysfs_u64(real, "start", &start))
                return "is not on a partition";
        if (strlen(real) >= sizeof(disk))
                return "is on a device of too long a sysfs path";
        memcpy(disk, real, strlen(real) + 1);
        if (!(slash = strrchr(disk, '/')))
                return "is not on a partition";
        *slash = 0;
        (void) read_sysfs_u64(disk, "queue/logical_block_size", &block_size);
        snprintf(sys, sizeof(sys), "%s/dev", disk);
        if (!(f = fopen(sys, "re")))
                return "is on a partition whose disk is not found";
        if (fscanf(f, "%u:%u", &maj, &min) != 2) {
                fclose(f);
                return "is on a partition whose disk is not found";
        }
        fclose(f);
        reason = read_gpt_entry(makedev(maj, min), strrchr(disk, '/') + 1, block_size, number, ret);
        if (reason)
                return reason;
        /* sysfs counts 512-byte sectors whatever the disk's block size. */
        if (ret->start * (block_size / 512) != start)
                return "is on a partition whose GPT entry disagrees with the kernel's start";
        return NULL;
}

/* $KEEL_ESP_PARTITION (tests): "PARTUUID,NUMBER,START,SIZE". */
static int esp_partition_override(const char *value, struct load_option_partition *ret) {
        char guid[37];
        unsigned long number;
        uint64_t start, size;
        int consumed = 0;

        if (sscanf(value, "%36[0-9a-fA-F-],%lu,%" SCNu64 ",%" SCNu64 "%n", guid, &number, &start, &size,
                   &consumed) != 4 || value[consumed] != 0 || !guid_parse(guid, ret->guid) ||
            number == 0 || number > UINT32_MAX)
                return log_error("install: $KEEL_ESP_PARTITION is not PARTUUID,NUMBER,START,SIZE");
        ret->number = (uint32_t) number;
        ret->start = start;
        ret->size = size;
        return 0;
}

int boot_entry_check_override(void) {
        const char *override = getenv("KEEL_ESP_PARTITION");
        struct load_option_partition part;

        return override && *override ? esp_partition_override(override, &part) : 0;
}

/* "Boot" and four upper-case hex digits: the firmware's names (UEFI 2.10 §3.3). */
static bool boot_number_of(const char *name, unsigned *ret) {
        static const char suffix[] = "-" EFI_GLOBAL_GUID_STR;
        unsigned v = 0;

        if (strncmp(name, "Boot", 4) != 0 || strcmp(name + 8, suffix) != 0)
                return false;
        for (int i = 4; i < 8; i++) {
                char c = name[i];
                if (c >= '0' && c <= '9')
                        v = v * 16 + (unsigned) (c - '0');
                else if (c >= 'A' && c <= 'F')
                        v = v * 16 + (unsigned) (c - 'A' + 10);
                else
                        return false;
        }
        *ret = v;
        return true;
}

/* Finds the Boot#### that boots path from the partition (the lowest
 * number when several do) and marks every number in use. Unparsable
 * values are someone else's: kept, never matched. */
static int scan_boot_options(const struct load_option_partition *part, const char *path, uint8_t *used,
                             bool *ret_found, unsigned *ret_number) {
        static uint8_t value[EFIVAR_MAX];
        static struct load_option option;
        struct dirent *de;
        DIR *d = opendir(efivarfs_dir());

        *ret_found = false;
        if (!d)
                return log_errno(errno, "install: the loader is on the ESP, but EFI variables in %s cannot be read", efivarfs_dir());
        while ((de = readdir(d))) {
                char name[9];
                unsigned number;
                size_t len;

                if (!boot_number_of(de->d_name, &number))
                        continue;
                used[number / 8] |= (uint8_t) (1u << (number % 8));
                snprintf(name, sizeof(name), "Boot%04X", number);
                if (!read_variable(name, value, sizeof(value), &len) ||
                    load_option_parse(value, len, &option) != LOAD_OPTION_OK ||
                    !load_option_matches(&option, part->guid, path))
                        continue;
                if (!*ret_found || number < *ret_number)
                        *ret_number = number;
                *ret_found = true;
        }
        closedir(d);
        return 0;
}

static void to_firmware_path(const char *loader_path, char *out, size_t size) {
        size_t i = 0;

        out[i++] = '\\';
        for (; *loader_path && i < size - 1; loader_path++)
                out[i++] = *loader_path == '/' ? '\\' : *loader_path;
        out[i] = 0;
}

static int update_boot_order(unsigned number, bool *ret_written) {
        static uint8_t order[EFIVAR_MAX], new_order[EFIVAR_MAX + 2];
        size_t len, new_len;

        (void) read_variable("BootOrder", order, sizeof(order), &len);
        new_len = boot_order_put_first(order, len, (uint16_t) number, new_order);
        *ret_written = false;
        if (new_len == len && memcmp(order, new_order, len) == 0)
                return 0;
        if (write_variable("BootOrder", new_order, new_len) < 0)
                return -1;
        *ret_written = true;
        return 0;
}

int boot_entry_install(const char *esp, const char *loader_path, struct boot_entry_result *ret) {
        static uint8_t used[BOOT_NUMBERS / 8], existing[EFIVAR_MAX];
        struct load_option_partition part = { 0 };
        const char *override = getenv("KEEL_ESP_PARTITION");
        char firmware_path[512], name[9];
        uint8_t option[LOAD_OPTION_MAX];
        size_t existing_len = 0;
        struct stat st;
        bool found;
        int len;

        memset(ret, 0, sizeof(*ret));
        memset(used, 0, sizeof(used));
        if (stat(efivarfs_dir(), &st) < 0 || !S_ISDIR(st.st_mode)) {
                log_warning("install: no firmware boot entry written: no EFI variables in %s (not booted in EFI mode?)",
                            efivarfs_dir());
                ret->skipped = true;
                return 0;
        }
        if (override && *override) {
                if (esp_partition_override(override, &part) < 0)
                        return -1;
        } else {
                const char *reason = find_esp_partition(esp, &part);
                if (reason) {
                        log_warning("install: no firmware boot entry written: %s %s", esp, reason);
                        ret->skipped = true;
                        return 0;
                }
        }
        to_firmware_path(loader_path, firmware_path, sizeof(firmware_path));
        len = load_option_encode(LOAD_OPTION_ACTIVE, BOOT_ENTRY_DESCRIPTION, &part, firmware_path, option,
                                 sizeof(option));
        if (len < 0)
                return log_error("install: %s: %s", firmware_path, load_option_error_string(len));
        if (scan_boot_options(&part, firmware_path, used, &found, &ret->number) < 0)
                return -1;
        if (!found) {
                for (ret->number = 0; ret->number < BOOT_NUMBERS; ret->number++)
                        if (!(used[ret->number / 8] & (1u << (ret->number % 8))))
                                break;
                if (ret->number == BOOT_NUMBERS)
                        return log_error("install: every Boot#### number is taken");
        }
        snprintf(name, sizeof(name), "Boot%04X", ret->number);
        if (!found || !read_variable(name, existing, sizeof(existing), &existing_len) ||
            existing_len != (size_t) len || memcmp(existing, option, (size_t) len) != 0) {
                if (write_variable(name, option, (size_t) len) < 0)
                        return -1;
                ret->entry_written = true;
        }
        return update_boot_order(ret->number, &ret->order_written);
}
