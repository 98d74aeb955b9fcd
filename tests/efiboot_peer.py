#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""efibootmgr's engine (libefivar + libefiboot, Debian 12's efivar 37) as the
peer for Boot#### values, offline: efibootmgr itself needs efivarfs, but it
builds a load option from these library calls, which need none.

  efiboot_peer.py encode PARTUUID NUMBER START SIZE PATH DESCRIPTION
      the EFI_LOAD_OPTION efibootmgr --create makes for that GPT partition
      and file (HD()/File()/End, LOAD_OPTION_ACTIVE, no optional data), hex
  efiboot_peer.py decode FILE
      an efivarfs Boot#### file (4 attribute bytes first) as libefiboot reads
      it: "valid" or "invalid", then its device path as libefivar prints it
"""
import ctypes
import sys
import uuid

var = ctypes.CDLL("libefivar.so.1")
boot = ctypes.CDLL("libefiboot.so.1")
for f in (var.efidp_make_hd, var.efidp_make_file, var.efidp_make_generic, var.efidp_format_device_path,
          boot.efi_loadopt_create):
    f.restype = ctypes.c_ssize_t
boot.efi_loadopt_path.restype = ctypes.c_void_p
boot.efi_loadopt_pathlen.restype = ctypes.c_uint16
SIZE = 4096


def encode(partuuid, number, start, size, path, description):
    dp = ctypes.create_string_buffer(SIZE)
    sig = ctypes.create_string_buffer(uuid.UUID(partuuid).bytes_le, 16)
    n = var.efidp_make_hd(dp, ctypes.c_ssize_t(SIZE), ctypes.c_uint32(number), ctypes.c_uint64(start),
                          ctypes.c_uint64(size), sig, ctypes.c_uint8(2), ctypes.c_uint8(2))
    n += var.efidp_make_file(ctypes.byref(dp, n), ctypes.c_ssize_t(SIZE - n), ctypes.c_char_p(path.encode()))
    n += var.efidp_make_generic(ctypes.byref(dp, n), ctypes.c_ssize_t(SIZE - n), ctypes.c_uint8(0x7f),
                                ctypes.c_uint8(0xff), ctypes.c_ssize_t(4))
    out = ctypes.create_string_buffer(SIZE)
    k = boot.efi_loadopt_create(out, ctypes.c_ssize_t(SIZE), ctypes.c_uint32(1), dp, ctypes.c_ssize_t(n),
                                ctypes.c_char_p(description.encode()), None, ctypes.c_size_t(0))
    if k <= 0:
        sys.exit("efi_loadopt_create failed")
    print(out.raw[:k].hex())


def decode(path):
    data = open(path, "rb").read()[4:]
    opt = ctypes.create_string_buffer(data, len(data))
    if not boot.efi_loadopt_is_valid(opt, ctypes.c_size_t(len(data))):
        print("invalid")
        return
    dp = boot.efi_loadopt_path(opt, ctypes.c_ssize_t(len(data)))
    dp_len = boot.efi_loadopt_pathlen(opt, ctypes.c_ssize_t(len(data)))
    text = ctypes.create_string_buffer(1024)
    if var.efidp_format_device_path(text, ctypes.c_size_t(len(text)), ctypes.c_void_p(dp), ctypes.c_ssize_t(dp_len)) < 0:
        print("invalid")
        return
    print("valid")
    print(text.value.decode())


if __name__ == "__main__":
    if sys.argv[1:2] == ["encode"] and len(sys.argv) == 8:
        encode(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6], sys.argv[7])
    elif sys.argv[1:2] == ["decode"] and len(sys.argv) == 3:
        decode(sys.argv[2])
    else:
        sys.exit(__doc__)
