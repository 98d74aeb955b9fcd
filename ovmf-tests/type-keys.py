#!/usr/bin/env python3
"""Types on the guest's serial console: connects to QEMU's console socket and
runs steps in order:  wait:TEXT (until TEXT appeared in the output),
send:TEXT (Python escapes allowed, e.g. send:\\r), sleep:SECONDS.
Exits non-zero when a wait times out."""
import socket
import sys
import time

from console_socket import connect

path, steps = sys.argv[1], sys.argv[2:]
deadline_per_wait = 180
sock = connect(path, "type-keys", seconds=60)
sock.settimeout(0.2)
seen = b""


def pump():
    global seen
    try:
        data = sock.recv(65536)
        if data:
            seen += data
    except socket.timeout:
        pass


for step in steps:
    kind, _, arg = step.partition(":")
    if kind == "wait":
        want = arg.encode()
        end = time.time() + deadline_per_wait
        while want not in seen:
            if time.time() > end:
                sys.exit(f"type-keys: timed out waiting for {arg!r}")
            pump()
        seen = seen[seen.index(want) + len(want):]
    elif kind == "send":
        for ch in arg.encode().decode("unicode_escape").encode("latin-1"):
            sock.sendall(bytes([ch]))
            # The emulated UART has a small FIFO that the firmware polls.
            time.sleep(0.15)
    elif kind == "sleep":
        end = time.time() + float(arg)
        while time.time() < end:
            pump()
    else:
        sys.exit(f"type-keys: unknown step {step!r}")
# Keep draining so QEMU never blocks on a full socket while the guest boots.
while True:
    try:
        data = sock.recv(65536)
        if not data:
            break
    except socket.timeout:
        continue
    except OSError:
        break
