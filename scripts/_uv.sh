# Sourced by the scripts: makes sure `uv` is on PATH, installing it from PyPI if missing.
if ! command -v uv >/dev/null 2>&1; then
  for dir in "$HOME/.local/bin" "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null)"; do
    [ -x "$dir/uv" ] && PATH="$dir:$PATH"
  done
fi
if ! command -v uv >/dev/null 2>&1; then
  echo "==> installing uv from PyPI"
  python3 -m pip install --quiet --user uv 2>/dev/null || python3 -m pip install --quiet uv
  PATH="$HOME/.local/bin:$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))'):$PATH"
fi
command -v uv >/dev/null 2>&1 || { echo "error: could not install uv" >&2; exit 1; }
export PATH
