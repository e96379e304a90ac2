#!/usr/bin/env bash
# Interoperability check: tokenstore against the real Zoho CRM SDK FileStores.
#
#   scripts/interop.sh [python8 python2 node8 node2]    (default: all four)
#   scripts/interop.sh --install-only [SDK...]          (just fill the cache)
#
# Installs the SDKs once into a private cache (nothing global), then for each SDK:
# the SDK writes a store with its own FileStore; tokenstore must list exactly what the
# SDK's get_tokens returns; tokenstore saves one token and deletes one; the SDK must read
# the file back, see the new token and not the deleted one; the SDK saves once more and
# tokenstore reads again. One line per check (`PASS name` / `FAIL name: reason`), then
# `N passed, M failed`; exit status 1 when any check failed.
# No SDK is given network access to anything: the drivers call the stores directly.
#
# Environment:
#   TOKENSTORE_BIN            binary to test (default target/release/tokenstore if present,
#                             else target/debug/tokenstore)
#   TOKENSTORE_INTEROP_CACHE  SDK cache (default ~/.cache/tokenstore-interop)
#   TOKENSTORE_INTEROP_KEEP=1 keep the work folder with the store files
#   TOKENSTORE_INTEROP_PY8 / _PY2 / _NODE8 / _NODE2   package specs to install
#                             (defaults: the releases the fixtures were checked against)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
HERE=$ROOT/scripts/interop
CACHE=${TOKENSTORE_INTEROP_CACHE:-$HOME/.cache/tokenstore-interop}
PY8_SPEC=${TOKENSTORE_INTEROP_PY8:-zohocrmsdk8-0==7.0.0}
PY8_FALLBACK=zohocrmsdk7-0  # same FileStore, if the 8.0 package is not on the index
PY2_SPEC=${TOKENSTORE_INTEROP_PY2:-zohocrmsdk2-0==6.0.0}
NODE8_SPEC=${TOKENSTORE_INTEROP_NODE8:-@zohocrm/nodejs-sdk-8.0@2.0.0}
NODE2_SPEC=${TOKENSTORE_INTEROP_NODE2:-@zohocrm/nodejs-sdk-2.0@6.1.0}

INSTALL_ONLY=0
if [[ ${1:-} == --install-only ]]; then INSTALL_ONLY=1; shift; fi

if [[ -z ${TOKENSTORE_BIN:-} ]]; then
  if [[ -x $ROOT/target/release/tokenstore ]]; then
    TOKENSTORE_BIN=$ROOT/target/release/tokenstore
  else
    TOKENSTORE_BIN=$ROOT/target/debug/tokenstore
  fi
fi
if [[ $INSTALL_ONLY == 0 && ! -x $TOKENSTORE_BIN ]]; then
  echo "interop: no tokenstore binary at $TOKENSTORE_BIN (build it or set TOKENSTORE_BIN)" >&2
  exit 2
fi
[[ $INSTALL_ONLY == 1 ]] || TOKENSTORE_BIN=$(cd "$(dirname "$TOKENSTORE_BIN")" && pwd)/$(basename "$TOKENSTORE_BIN")

SDKS=("$@")
[[ ${#SDKS[@]} -gt 0 ]] || SDKS=(python8 python2 node8 node2)

tools=(python3)
[[ " ${SDKS[*]} " != *" node"* ]] || tools+=(node npm)
for tool in "${tools[@]}"; do
  command -v "$tool" >/dev/null || { echo "interop: $tool is needed" >&2; exit 2; }
done
mkdir -p "$CACHE"
LOG=$CACHE/install.log

# install_python DIR SPEC [FALLBACK]: a venv with the SDK; done once (stamp file)
install_python() {
  local dir=$1 spec=$2 fallback=${3:-}
  local stamp=$dir/.installed
  if [[ -f $stamp && -x $dir/bin/python && $(cat "$stamp") == "$spec"* ]]; then return 0; fi
  echo "interop: installing $spec into $dir" >&2
  rm -rf "$dir"
  python3 -m venv "$dir" >>"$LOG" 2>&1 || return 1
  if "$dir/bin/pip" install --disable-pip-version-check -q "$spec" >>"$LOG" 2>&1; then
    echo "$spec" >"$stamp"
  elif [[ -n $fallback ]] && "$dir/bin/pip" install --disable-pip-version-check -q "$fallback" >>"$LOG" 2>&1; then
    echo "$spec (fell back to $fallback)" >"$stamp"
  else
    return 1
  fi
}

# install_node DIR SPEC: npm install --prefix DIR; done once (stamp file)
install_node() {
  local dir=$1 spec=$2
  local stamp=$dir/.installed
  if [[ -f $stamp && $(cat "$stamp") == "$spec" ]]; then return 0; fi
  echo "interop: installing $spec into $dir" >&2
  rm -rf "$dir"
  mkdir -p "$dir"
  # --ignore-scripts: nothing of the SDK runs at install time; no audit/fund calls
  npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts --loglevel=error "$spec" >>"$LOG" 2>&1 || return 1
  echo "$spec" >"$stamp"
}

install_failed=0
for sdk in "${SDKS[@]}"; do
  case $sdk in
    python8) install_python "$CACHE/py8" "$PY8_SPEC" "$PY8_FALLBACK" ;;
    python2) install_python "$CACHE/py2" "$PY2_SPEC" ;;
    node8) install_node "$CACHE/node8" "$NODE8_SPEC" ;;
    node2) install_node "$CACHE/node2" "$NODE2_SPEC" ;;
    *) echo "interop: unknown SDK '$sdk' (python8 python2 node8 node2)" >&2; exit 2 ;;
  esac || { echo "interop: installing $sdk failed; see $LOG" >&2; install_failed=1; }
done

[[ $INSTALL_ONLY == 0 ]] || exit "$install_failed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/tokenstore-interop.XXXXXX")
status=0
python3 "$HERE/harness.py" --bin "$TOKENSTORE_BIN" --cache "$CACHE" --work "$WORK" "${SDKS[@]}" || status=$?
if [[ $status -ne 0 || ${TOKENSTORE_INTEROP_KEEP:-} == 1 ]]; then
  echo "interop: store files kept in $WORK" >&2
else
  rm -rf "$WORK"
fi
exit "$status"
