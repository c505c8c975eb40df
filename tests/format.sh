#!/usr/bin/env bash
# The C sources follow the checked-in .clang-format.
set -euo pipefail
cd "$(dirname "$0")/.."
files=$(git ls-files '*.c' '*.h' 2>/dev/null || find lib probe bench tests -name '*.[ch]')
clang-format --dry-run --Werror $files
echo "ok: $(echo "$files" | wc -w) files formatted"
