#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The entries `bootctl --esp-path=ESP list` shows, in its order, as dicts
of its "key: value" lines, plus "default" (bootctl marks the default
entry's title) and "plain_title" (the title without bootctl's notes). The
one reader of bootctl's listing for the tests that compare with it.
bootctl wants ESP to be a mount point; SYSTEMD_RELAX_ESP_CHECKS lets it be
something else than vfat. The host's bootctl (systemd 252) by default;
with suite= ("trixie": 257, "sid": 262) and build= (the build directory)
that suite's, run by scripts/debian-suite in its tools tree with ESP bound
at /esp (a directory: SYSTEMD_RELAX_ESP_CHECKS).

  bootctl_list.py ESP                 JSON list of the entries
  bootctl_list.py ESP FIELD[,FIELD]   one line per entry, the fields joined by '|'
  (KEEL_BOOTCTL_SUITE and KEEL_BUILD in the environment pick a suite's bootctl)
"""
import json
import os
import subprocess
import sys

NOTES = (" (default)", " (not reported/new)", " (reported/absent)", " (selected)")


def bootctl_command(esp, suite=None, build=None):
    """The command to run bootctl on ESP, and the ESP path it sees."""
    if not suite:
        return ["bootctl"], esp
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "debian-suite")
    tree = subprocess.run([tool, build, suite, "tools"], capture_output=True, text=True, check=True).stdout.strip()
    return [tool, build, suite, "run", tree, "--bind", f"{esp}:/esp", "--",
            "env", "SYSTEMD_RELAX_ESP_CHECKS=1", "bootctl"], "/esp"


def parse_listing(out):
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


def bootctl_list(esp, extra_args=(), suite=None, build=None):
    env = dict(os.environ, SYSTEMD_RELAX_ESP_CHECKS="1")
    cmd, path = bootctl_command(esp, suite, build)
    out = subprocess.run([*cmd, f"--esp-path={path}", *extra_args, "list", "--no-pager"],
                         capture_output=True, text=True, env=env).stdout
    return parse_listing(out)


def bootctl_lists(esps, extra_args, suite, build):
    """bootctl_list of a suite for many ESPs in one run of its tree (each
    ESP bound on its own: bootctl 257 wants a mount point): {ESP: entries}."""
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "scripts", "debian-suite")
    tree = subprocess.run([tool, build, suite, "tools"], capture_output=True, text=True, check=True).stdout.strip()
    binds = [a for i, esp in enumerate(esps) for a in ("--bind", f"{esp}:/esp/{i}")]
    script = ('x=$1; shift; for i; do echo "== $i"; '
              'SYSTEMD_RELAX_ESP_CHECKS=1 bootctl --esp-path=/esp/$i $x list --no-pager; done')
    out = subprocess.run([tool, build, suite, "run", tree, *binds, "--", "/bin/sh", "-c", script, "-",
                          " ".join(extra_args), *(str(i) for i in range(len(esps)))],
                         capture_output=True, text=True, check=True).stdout
    found = {}
    for part in out.split("== ")[1:]:
        index, _, listing = part.partition("\n")
        found[esps[int(index)]] = parse_listing(listing)
    return found


if __name__ == "__main__":
    found = bootctl_list(sys.argv[1], ["--no-variables"], os.environ.get("KEEL_BOOTCTL_SUITE"),
                         os.environ.get("KEEL_BUILD"))
    if len(sys.argv) > 2:
        for e in found:
            print("|".join(str(e.get(f, "")) for f in sys.argv[2].split(",")))
    else:
        print(json.dumps(found))
