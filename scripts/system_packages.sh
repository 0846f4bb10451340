#!/usr/bin/env bash
# Installs the Debian packages some tests drive as real programs, when they are missing and this
# user may install them (root with apt-get): Chromium (the web client's browser tests), Tesseract
# (scanned lab reports) and nginx (the client behind the compose file's proxy). Elsewhere it says
# what is missing; the tests needing a missing program are then skipped with its name.
set -euo pipefail

declare -A PACKAGE_OF=(
    [chromium]=chromium
    [tesseract]="tesseract-ocr tesseract-ocr-eng tesseract-ocr-spa"
    [nginx]=nginx-light
)

missing=()
for program in "${!PACKAGE_OF[@]}"; do
    command -v "$program" >/dev/null 2>&1 || [ -x "/usr/sbin/$program" ] || missing+=(${PACKAGE_OF[$program]})
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
    echo "not installed (tests needing them are skipped): ${missing[*]}" >&2
fi
