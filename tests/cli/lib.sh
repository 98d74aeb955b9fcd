# Shared helpers for the CLI test scripts (sourced; $T is the script's
# scratch directory). Each case prints one PASS/FAIL line.
passes=0
failures=0
pass() { echo "PASS $1"; passes=$((passes + 1)); }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

check() { # check NAME CMD...
        local name=$1
        shift
        if "$@"; then pass "$name"; else fail "$name"; fi
}

# expect_error NAME OUTPUT CMD...: CMD fails cleanly — an exit status below
# 126, exactly one "keel: ..." line on stderr, nothing on stdout — and
# leaves neither OUTPUT (when given) nor a temporary next to it
# (OUTPUT.XXXXXX, .keel-*) behind.
expect_error() {
        local name=$1 out=$2 rc=0 dir leftovers
        shift 2
        dir=$(dirname "${out:-$T/x}")
        "$@" >"$T/stdout" 2>"$T/stderr" || rc=$?
        leftovers=$(find "$dir" -maxdepth 1 \( -name "$(basename "${out:-none}").*" -o -name '.keel-*' \) 2>/dev/null)
        if [ $rc -ne 0 ] && [ $rc -lt 126 ] && [ "$(wc -l <"$T/stderr")" -eq 1 ] && grep -q '^keel: ' "$T/stderr" &&
           [ ! -s "$T/stdout" ] && { [ -z "$out" ] || [ ! -e "$out" ]; } && [ -z "$leftovers" ]; then
                pass "$name ($(cat "$T/stderr"))"
        else
                fail "$name (rc=$rc, stderr: $(head -c 300 "$T/stderr"), stdout: $(head -c 200 "$T/stdout"), left: $leftovers)"
        fi
}

# summary: the closing line and the exit status.
summary() {
        echo "$passes passed, $failures failed"
        [ "$failures" -eq 0 ]
}
