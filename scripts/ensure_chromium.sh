#!/usr/bin/env bash
# Make sure a headless Chromium is available for the dashboard test.
#
#   scripts/ensure_chromium.sh        # prints the browser's path, installs it if missing
#
# Looks for $CHROMIUM_BIN, then chromium / chromium-browser / google-chrome on
# PATH. When none is found it installs Debian's `chromium` package with apt-get
# (needs root, as in CI). Exit code 0 and the path on stdout when a browser is
# there; a non-zero exit and the reason on stderr when it cannot be installed.
set -euo pipefail

find_browser() {
    if [[ -n "${CHROMIUM_BIN:-}" && -x "${CHROMIUM_BIN}" ]]; then
        echo "${CHROMIUM_BIN}"
        return 0
    fi
    local name
    for name in chromium chromium-browser google-chrome google-chrome-stable; do
        if command -v "${name}" >/dev/null 2>&1; then
            command -v "${name}"
            return 0
        fi
    done
    return 1
}

if find_browser; then
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_chromium: no chromium on PATH and no apt-get to install it" >&2
    exit 3
fi

SUDO=""
if [[ "$(id -u)" != "0" ]]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
        SUDO="sudo -n"
    else
        echo "ensure_chromium: chromium is missing and installing it needs root (apt-get install chromium)" >&2
        exit 3
    fi
fi

echo "ensure_chromium: installing Debian package chromium (apt-get)" >&2
export DEBIAN_FRONTEND=noninteractive
${SUDO} apt-get update -qq >&2
${SUDO} apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2

if find_browser; then
    exit 0
fi
echo "ensure_chromium: apt-get finished but no chromium binary was found" >&2
exit 4
