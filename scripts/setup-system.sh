#!/usr/bin/env bash
# Install the Debian packages that the tests use as real servers and tools:
# PostgreSQL (store tests), Chromium + Chinese fonts (browser tests and report charts),
# LibreOffice Writer without a GUI (reading .doc/.wps plans, the tests convert with it;
# the 督办通报's pages are rendered to PNG with it and poppler-utils and checked).
# Idempotent and quiet when everything is present; needs root (or sudo) otherwise.
set -euo pipefail

need=()
command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-microhei)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
lean=()
command -v soffice >/dev/null 2>&1 || lean+=(libreoffice-writer-nogui)

if [ ${#need[@]} -eq 0 ] && [ ${#lean[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "setup-system: need root to install: ${need[*]} ${lean[*]} (tests that need them will skip loudly)" >&2
        exit 0
    fi
fi
echo "setup-system: installing ${need[*]} ${lean[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
if [ ${#need[@]} -gt 0 ]; then
    $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
# No recommends: LibreOffice's would add Java and more (hundreds of MB, minutes of CI).
if [ ${#lean[@]} -gt 0 ]; then
    $sudo apt-get install -y -qq --no-install-recommends "${lean[@]}" >/dev/null
fi
