#!/bin/sh
# Print the path of a Python for a Django series, or say where it looked.
#
#   sh docs/_tools/find_python.sh "Django 6.1" PYTHON_6_1 3.13 3.12
#
# The variable named second (PYTHON_6_1) wins when it is set: it must run
# and be at least the lowest version listed. Otherwise the first version
# that runs is taken: each of them, in the order given, on PATH
# (python3.13, python3.12), then each in $PYENV_ROOT/versions/ and
# ~/.pyenv/versions/ (3.13.*/bin/python3.13, newest first). A candidate counts only if it runs:
# pyenv's shims are on PATH for every installed version, and fail unless
# that version is selected.
set -u
what=$1 var=$2
shift 2
lowest=$(printf '%s\n' "$@" | sort -t. -k1,1n -k2,2n | head -n 1)

version() {  # the X.Y of the Python at $1, or nothing if it does not run
  "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null
}

override=$(eval "printf '%s' \"\${$var:-}\"")
if [ -n "$override" ]; then
  found=$(version "$override")
  if [ -z "$found" ]; then
    echo "make: $var=$override does not run a Python; $what needs Python $lowest or newer" >&2
    exit 1
  fi
  if [ "$(printf '%s\n%s\n' "$lowest" "$found" | sort -t. -k1,1n -k2,2n | head -n 1)" != "$lowest" ]; then
    echo "make: $var=$override is Python $found; $what needs Python $lowest or newer" >&2
    exit 1
  fi
  command -v "$override"
  exit 0
fi

roots=""
[ -n "${PYENV_ROOT:-}" ] && roots="$PYENV_ROOT"
[ -n "${HOME:-}" ] && [ "$HOME/.pyenv" != "${PYENV_ROOT:-}" ] && roots="$roots $HOME/.pyenv"
looked=""
for v in "$@"; do
  if path=$(command -v "python$v"); then
    [ "$(version "$path")" = "$v" ] && { echo "$path"; exit 0; }
    looked="$looked
  python$v on PATH: $path does not run (a pyenv shim of a version not selected?)"
  else
    looked="$looked
  python$v on PATH: not there"
  fi
done
for v in "$@"; do
  for root in $roots; do
    paths=$(ls -d "$root/versions/$v".*/bin/"python$v" 2>/dev/null | sort -t. -k3,3nr)
    for path in $paths; do
      [ "$(version "$path")" = "$v" ] && { echo "$path"; exit 0; }
    done
    looked="$looked
  $root/versions/$v.*/bin/python$v: ${paths:+none of them runs}${paths:-not there}"
  done
done
list=$(echo "$@" | sed 's/ / or /g')
echo "make: $what needs Python $list, and none was found. Looked for:$looked
Install one (pyenv install $1, or your system's python$1 package), or name it: $var=/path/to/python$1" >&2
exit 1
