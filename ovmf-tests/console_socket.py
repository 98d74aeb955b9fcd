"""Connects to the guest console QEMU serves on a Unix socket (shared by
ovmf-tests/type-keys.py and bench/console-clock.py). QEMU creates the socket
a moment after it starts, so this retries for up to `seconds`."""
import socket
import sys
import time


def connect(path, who, seconds):
    for _ in range(int(seconds / 0.05)):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.connect(path)
            return sock
        except OSError:
            sock.close()
            time.sleep(0.05)
    sys.exit(f"{who}: cannot connect to {path}")
