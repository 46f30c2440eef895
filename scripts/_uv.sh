# Sourced by the scripts: puts uv on PATH, installing a private copy when it is missing.
# tools/bootstrap_uv.py says how (pip --user where allowed, else a private virtual
# environment, else the wheel straight from the index); it needs only a python3.
uv_home="${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/asgikit/uv"
if ! command -v uv >/dev/null 2>&1 && [ -x "$uv_home/bin/uv" ]; then
  PATH="$uv_home/bin:$PATH"
fi
if ! command -v uv >/dev/null 2>&1; then
  python=""
  for candidate in python3 python; do
    if command -v "$candidate" >/dev/null 2>&1; then python="$candidate"; break; fi
  done
  if [ -z "$python" ]; then
    echo "error: these scripts need uv, and a python3 to install it with; install Python 3" \
      "(Debian/Ubuntu: sudo apt install python3) or uv" \
      "(https://docs.astral.sh/uv/getting-started/installation/), then run again" >&2
    exit 1
  fi
  echo "==> uv is not on PATH: looking for it, or installing it (tools/bootstrap_uv.py)" >&2
  if ! uv_path="$("$python" tools/bootstrap_uv.py "$uv_home")"; then
    exit 1  # bootstrap_uv.py said why and what to do
  fi
  echo "==> using $uv_path" >&2
  PATH="$(dirname "$uv_path"):$PATH"
fi
export PATH
