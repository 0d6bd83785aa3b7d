# Sourced by scripts/setup and scripts/floor: find Python 3.12.
# is_312 PATH: that interpreter is Python 3.12. find_python: print the first Python 3.12 found as
# $PYTHON, then `python3.12` on PATH, then pyenv's 3.12 ($PYENV_ROOT or ~/.pyenv), then
# /usr/local/bin and /usr/bin; fail when there is none.
is_312() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; }

find_python() {
    local c
    for c in "${PYTHON:-}" python3.12; do
        if [ -n "$c" ] && is_312 "$c"; then echo "$c"; return 0; fi
    done
    local roots=("${PYENV_ROOT:-}" "$HOME/.pyenv")
    if command -v pyenv >/dev/null 2>&1; then roots=("$(pyenv root)" "${roots[@]}"); fi
    for root in "${roots[@]}"; do
        [ -n "$root" ] || continue
        for c in "$root"/versions/3.12*/bin/python3.12; do
            if is_312 "$c"; then echo "$c"; return 0; fi
        done
    done
    for c in /usr/local/bin/python3.12 /usr/bin/python3.12; do
        if is_312 "$c"; then echo "$c"; return 0; fi
    done
    return 1
}
