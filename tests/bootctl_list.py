#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The entries `bootctl --esp-path=ESP list` (systemd 252) shows, in its
order, as dicts of its "key: value" lines, plus "default" (bootctl marks
the default entry's title) and "plain_title" (the title without bootctl's
notes). The one reader of bootctl's listing for the tests that compare
with it. bootctl wants ESP to be a mount point; SYSTEMD_RELAX_ESP_CHECKS
lets it be something else than vfat.

  bootctl_list.py ESP                 JSON list of the entries
  bootctl_list.py ESP FIELD[,FIELD]   one line per entry, the fields joined by '|'
"""
import json
import os
import subprocess
import sys

NOTES = (" (default)", " (not reported/new)", " (reported/absent)", " (selected)")


def bootctl_list(esp, extra_args=()):
    env = dict(os.environ, SYSTEMD_RELAX_ESP_CHECKS="1")
    out = subprocess.run(["bootctl", f"--esp-path={esp}", *extra_args, "list", "--no-pager"],
                         capture_output=True, text=True, env=env).stdout
    entries = []
    for block in out.split("\n\n"):
        fields = {}
        for line in block.splitlines():
            if ":" in line:
                key, value = line.split(":", 1)
                fields[key.strip()] = value.strip()
        if "id" in fields:
            title = fields.get("title", "")
            fields["default"] = "(default)" in title
            for note in NOTES:
                title = title.replace(note, "")
            fields["plain_title"] = title
            entries.append(fields)
    return entries


if __name__ == "__main__":
    found = bootctl_list(sys.argv[1], ["--no-variables"])
    if len(sys.argv) > 2:
        for e in found:
            print("|".join(str(e.get(f, "")) for f in sys.argv[2].split(",")))
    else:
        print(json.dumps(found))
