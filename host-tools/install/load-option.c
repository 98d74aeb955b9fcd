/* SPDX-License-Identifier: MIT */
#include "host-tools/install/load-option.h"
#include "common/strutil.h"

#define LOAD_OPTION_HEADER_SIZE 6 /* Attributes (u32), FilePathListLength (u16) */
#define NODE_HEADER_SIZE 4        /* Type, SubType, Length (u16) */

const char *load_option_error_string(int error) {
        switch (error) {
        case LOAD_OPTION_OK: return "ok";
        case LOAD_OPTION_E_TRUNCATED: return "load option shorter than its header";
        case LOAD_OPTION_E_DESCRIPTION: return "load option description unterminated or too long";
        case LOAD_OPTION_E_PATH_LIST_LENGTH: return "load option FilePathListLength beyond its end";
        case LOAD_OPTION_E_NODE_LENGTH: return "device path node length invalid";
        case LOAD_OPTION_E_NO_END: return "device path without End node";
        case LOAD_OPTION_E_HARD_DRIVE: return "hard drive device path node of the wrong size";
        case LOAD_OPTION_E_FILE_PATH: return "file path device path node odd-sized or too long";
        case LOAD_OPTION_E_SPACE: return "load option does not fit";
        case LOAD_OPTION_E_ARGUMENT: return "load option text not printable ASCII";
        default: return "unknown load option error";
        }
}

/* Copies a NUL-terminated UTF-16 string of at most avail bytes; returns the
 * bytes it took with its NUL, 0 when unterminated or too long. */
static size_t take_utf16_string(const uint8_t *p, size_t avail, uint16_t *out, size_t out_units) {
        for (size_t i = 0; i < out_units && avail - 2 * i >= 2; i++) {
                out[i] = read_le16(p + 2 * i);
                if (out[i] == 0)
                        return 2 * (i + 1);
        }
        return 0;
}

static void parse_hard_drive(const uint8_t *node, struct load_option *o) {
        if (node[40] != HARD_DRIVE_MBR_TYPE_GPT || node[41] != HARD_DRIVE_SIGNATURE_GUID)
                return;
        o->has_partition = true;
        o->partition.number = read_le32(node + 4);
        o->partition.start = read_le64(node + 8);
        o->partition.size = read_le64(node + 16);
        memcpy(o->partition.guid, node + 24, 16);
}

/* Appends a file path node's text (up to its NUL) to o->path. */
static int append_file_path(const uint8_t *data, size_t len, struct load_option *o, size_t *used) {
        if (len % 2 != 0)
                return LOAD_OPTION_E_FILE_PATH;
        for (size_t i = 0; i < len / 2; i++) {
                uint16_t c = read_le16(data + 2 * i);
                if (c == 0)
                        break;
                if (*used >= LOAD_OPTION_MAX_STRING - 1)
                        return LOAD_OPTION_E_FILE_PATH;
                o->path[(*used)++] = c;
        }
        o->path[*used] = 0;
        return LOAD_OPTION_OK;
}

int load_option_parse(const uint8_t *buf, size_t len, struct load_option *ret) {
        size_t taken, remaining, path_used = 0;
        uint16_t list_len;
        const uint8_t *p;
        bool first = true;
        int r;

        memset(ret, 0, sizeof(*ret));
        if (len < LOAD_OPTION_HEADER_SIZE)
                return LOAD_OPTION_E_TRUNCATED;
        ret->attributes = read_le32(buf);
        list_len = read_le16(buf + 4);
        remaining = len - LOAD_OPTION_HEADER_SIZE;
        p = buf + LOAD_OPTION_HEADER_SIZE;
        taken = take_utf16_string(p, remaining, ret->description, LOAD_OPTION_MAX_STRING);
        if (taken == 0)
                return LOAD_OPTION_E_DESCRIPTION;
        p += taken;
        remaining -= taken;
        if (list_len > remaining)
                return LOAD_OPTION_E_PATH_LIST_LENGTH;
        remaining = list_len; /* OptionalData after the list is not ours to read */

        while (remaining >= NODE_HEADER_SIZE) {
                uint8_t type = p[0], subtype = p[1];
                uint16_t node_len = read_le16(p + 2);

                if (node_len < NODE_HEADER_SIZE || node_len > remaining)
                        return LOAD_OPTION_E_NODE_LENGTH;
                if (type == DEVICE_PATH_END) /* end of the entire path or of its first instance */
                        return LOAD_OPTION_OK;
                if (type == DEVICE_PATH_MEDIA && subtype == DEVICE_PATH_MEDIA_HARD_DRIVE) {
                        if (node_len != DEVICE_PATH_HARD_DRIVE_SIZE)
                                return LOAD_OPTION_E_HARD_DRIVE;
                        if (first)
                                parse_hard_drive(p, ret);
                } else if (type == DEVICE_PATH_MEDIA && subtype == DEVICE_PATH_MEDIA_FILE_PATH) {
                        r = append_file_path(p + NODE_HEADER_SIZE, node_len - NODE_HEADER_SIZE, ret, &path_used);
                        if (r < 0)
                                return r;
                }
                first = false;
                p += node_len;
                remaining -= node_len;
        }
        return LOAD_OPTION_E_NO_END;
}

static bool printable_ascii(const char *s, size_t *ret_len) {
        size_t n = 0;

        for (; s[n]; n++)
                if ((unsigned char) s[n] < 0x20 || (unsigned char) s[n] > 0x7e)
                        return false;
        *ret_len = n;
        return n < LOAD_OPTION_MAX_STRING;
}

static uint8_t *put_ascii_as_utf16(uint8_t *p, const char *s, size_t n) {
        for (size_t i = 0; i <= n; i++, p += 2)
                write_le16(p, i < n ? (uint16_t) (unsigned char) s[i] : 0);
        return p;
}

int load_option_encode(uint32_t attributes, const char *description, const struct load_option_partition *part,
                       const char *path, uint8_t *buf, size_t size) {
        size_t description_len, path_len, file_node_len, list_len, total;
        uint8_t *p = buf;

        if (!printable_ascii(description, &description_len) || !printable_ascii(path, &path_len))
                return LOAD_OPTION_E_ARGUMENT;
        file_node_len = NODE_HEADER_SIZE + 2 * (path_len + 1);
        list_len = DEVICE_PATH_HARD_DRIVE_SIZE + file_node_len + NODE_HEADER_SIZE;
        total = LOAD_OPTION_HEADER_SIZE + 2 * (description_len + 1) + list_len;
        if (total > size)
                return LOAD_OPTION_E_SPACE;

        write_le32(p, attributes);
        write_le16(p + 4, (uint16_t) list_len);
        p = put_ascii_as_utf16(p + LOAD_OPTION_HEADER_SIZE, description, description_len);

        p[0] = DEVICE_PATH_MEDIA;
        p[1] = DEVICE_PATH_MEDIA_HARD_DRIVE;
        write_le16(p + 2, DEVICE_PATH_HARD_DRIVE_SIZE);
        write_le32(p + 4, part->number);
        write_le64(p + 8, part->start);
        write_le64(p + 16, part->size);
        memcpy(p + 24, part->guid, 16);
        p[40] = HARD_DRIVE_MBR_TYPE_GPT;
        p[41] = HARD_DRIVE_SIGNATURE_GUID;
        p += DEVICE_PATH_HARD_DRIVE_SIZE;

        p[0] = DEVICE_PATH_MEDIA;
        p[1] = DEVICE_PATH_MEDIA_FILE_PATH;
        write_le16(p + 2, (uint16_t) file_node_len);
        p = put_ascii_as_utf16(p + NODE_HEADER_SIZE, path, path_len);

        p[0] = DEVICE_PATH_END;
        p[1] = DEVICE_PATH_END_ENTIRE;
        write_le16(p + 2, NODE_HEADER_SIZE);
        return (int) total;
}

static uint16_t ascii_lower(uint16_t c) {
        return c >= 'A' && c <= 'Z' ? (uint16_t) (c - 'A' + 'a') : c;
}

bool load_option_matches(const struct load_option *o, const uint8_t guid[16], const char *path) {
        size_t i;

        if (!o->has_partition || memcmp(o->partition.guid, guid, 16) != 0)
                return false;
        for (i = 0; path[i] && i < LOAD_OPTION_MAX_STRING; i++)
                if (ascii_lower(o->path[i]) != ascii_lower((uint16_t) (unsigned char) path[i]))
                        return false;
        return i < LOAD_OPTION_MAX_STRING && o->path[i] == 0;
}

size_t boot_order_put_first(const uint8_t *order, size_t len, uint16_t number, uint8_t *out) {
        size_t n = 2;

        write_le16(out, number);
        for (size_t i = 0; len - i >= 2; i += 2) {
                uint16_t v = read_le16(order + i);
                if (v == number)
                        continue;
                write_le16(out + n, v);
                n += 2;
        }
        return n;
}


bool guid_parse(const char *s, uint8_t ret[16]) {
        /* Text order of the 16 bytes: the first three fields are stored
         * little-endian, the last two as written. */
        static const uint8_t position[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
        size_t k = 0;

        for (size_t i = 0; i < 36; i++) {
                int hi, lo;
                if (i == 8 || i == 13 || i == 18 || i == 23) {
                        if (s[i] != '-')
                                return false;
                        continue;
                }
                hi = hex_digit_value(s[i]);
                lo = hi < 0 ? -1 : hex_digit_value(s[i + 1]);
                if (lo < 0)
                        return false;
                ret[position[k++]] = (uint8_t) (hi << 4 | lo);
                i++;
        }
        return s[36] == 0;
}
