#!/usr/bin/env bash
# Debian packages the assistant needs: Tesseract with Swedish for scanned PDFs, libmagic
# for file-type sniffing, DejaVu fonts for the example PDFs, and a C++ toolchain with
# cmake to build llama.cpp's Python bindings (no Linux wheel exists), Chromium for
# the browser test, PostgreSQL's server (the audit trail's contract tests start a
# throwaway one on loopback) and Caddy (the deploy test runs deploy/Caddyfile in front
# of the API on loopback). Installs only what is
# missing; without root it prints the command to run instead.
set -euo pipefail

need=()
command -v tesseract >/dev/null 2>&1 || need+=(tesseract-ocr)
if ! tesseract --list-langs 2>/dev/null | grep -qx swe; then need+=(tesseract-ocr-swe); fi
if ! tesseract --list-langs 2>/dev/null | grep -qx eng; then need+=(tesseract-ocr-eng); fi
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
ldconfig -p 2>/dev/null | grep -q libmagic.so.1 || need+=(libmagic1)
command -v g++ >/dev/null 2>&1 || need+=(g++)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
# Debian's Chromium for the browser test (Playwright drives it; it never downloads one).
[ -x /usr/bin/chromium ] || need+=(chromium)
# Debian's PostgreSQL server for the database tests (started by the tests, on 127.0.0.1).
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need+=(postgresql)
# Debian's Caddy for the proxy test (the same Caddyfile as deploy/ uses, on loopback).
command -v caddy >/dev/null 2>&1 || need+=(caddy)

if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${need[*]}" >&2
  echo "Install them with: sudo apt-get install -y ${need[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
echo "Installed: ${need[*]}"
