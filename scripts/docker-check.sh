#!/usr/bin/env bash
# CI: build the container image when this machine can, and say plainly when it cannot.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v docker >/dev/null 2>&1; then
    echo "docker-check: docker is not installed here; the image was NOT built" >&2
    exit 0
fi
if ! timeout 20 docker info >/dev/null 2>&1; then
    echo "docker-check: no Docker daemon reachable here; the image was NOT built" >&2
    exit 0
fi
echo "docker-check: building the taskbot image" >&2
docker build --quiet --tag taskbot:ci . >/dev/null
docker run --rm --entrypoint taskbot taskbot:ci --help >/dev/null
echo "docker-check: image taskbot:ci built and runs" >&2
