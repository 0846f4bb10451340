#!/usr/bin/env bash
# Installs the Debian packages some tests drive as real programs, when they are missing and this
# user may install them (root with apt-get): Tesseract with its English and Spanish data (scanned
# lab reports). Elsewhere it says what is missing; the tests needing it are then skipped with the
# reason.
set -euo pipefail

PACKAGES=(tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa)

languages=$(tesseract --list-langs 2>/dev/null || true)
if grep -qx eng <<<"$languages" && grep -qx spa <<<"$languages"; then
    exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${PACKAGES[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
else
    echo "not installed (the scanned-report tests are skipped): ${PACKAGES[*]}" >&2
fi
