#!/usr/bin/env python3
"""Reads the guest console from QEMU's socket and prints the seconds between
the first line containing START and the first later line containing END
(e.g. the firmware starting the boot option, and the kernel's EFI stub
taking its initrd): a wall clock for the part of boot between them."""
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "ovmf-tests"))
from console_socket import connect  # noqa: E402

path, start_text, end_text = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
sock = connect(path, "console-clock", seconds=30)
buf, start, end = b"", None, None
while True:
    data = sock.recv(65536)
    if not data:
        break
    now = time.monotonic()
    buf += data
    if start is None and start_text in buf:
        start, buf = now, buf[buf.index(start_text) + len(start_text):]
    if start is not None and end is None and end_text in buf:
        end = now
print(f"{end - start:.3f}" if start is not None and end is not None else "n/a")
