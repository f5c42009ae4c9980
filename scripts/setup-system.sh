#!/usr/bin/env bash
# Install the Debian packages that the tests use as real servers and tools:
# PostgreSQL (store tests), Chromium + Chinese fonts (browser tests and report charts),
# LibreOffice Writer + poppler-utils (the 督办通报's pages rendered to PNG and checked).
# Idempotent and quiet when everything is present; needs root (or sudo) otherwise.
set -euo pipefail

need=()
command -v /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy" || need+=(fonts-wqy-microhei)
command -v fc-list >/dev/null 2>&1 || need+=(fontconfig)
command -v soffice >/dev/null 2>&1 || need+=(libreoffice-writer-nogui)
command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)

if [ ${#need[@]} -eq 0 ]; then
    exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
        echo "setup-system: need root to install: ${need[*]} (tests that need them will skip loudly)" >&2
        exit 0
    fi
fi
echo "setup-system: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq "${need[@]}" >/dev/null
