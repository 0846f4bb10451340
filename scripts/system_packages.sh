#!/usr/bin/env bash
# Installs the Debian packages some tests drive as real programs, when they are missing and this
# user may install them (root with apt-get): Tesseract with its English and Spanish data (scanned
# lab reports), Chromium (the web client's browser tests) and nginx (the client behind the
# compose file's proxy configuration). Elsewhere it says what is missing; the tests needing it
# are then skipped with the reason.
set -euo pipefail

missing=()
languages=$(tesseract --list-langs 2>/dev/null || true)
if ! grep -qx eng <<<"$languages" || ! grep -qx spa <<<"$languages"; then
    missing+=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa)
fi
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "not installed (the tests driving them are skipped): ${missing[*]}" >&2
fi
