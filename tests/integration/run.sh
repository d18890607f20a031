#!/bin/sh
# Run the coord integration suite (see README.md). Exit status is non-zero on
# any failure; the last output line is "N passed, N failed[, N skipped]".
here=$(cd "$(dirname "$0")" && pwd)
PYTHONDONTWRITEBYTECODE=1
export PYTHONDONTWRITEBYTECODE
# kazoo is installed for the system interpreter, not for pyenv shims.
exec "${COORD_TEST_PYTHON:-/usr/bin/python3}" "$here/runner.py" "$@"
