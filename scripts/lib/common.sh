# shellcheck shell=bash
# Shared shell helpers for the scripts in this folder. Sourced, never run.
#
# Every script works from the repository root, whatever the caller's current
# directory, so paths in messages and logs are the same for everyone.

OTP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export OTP_ROOT

# Tools installed by `cargo install` and `pip install` must be found in the
# same run that installed them.
for dir in "$HOME/.cargo/bin" "$HOME/.local/bin"; do
  case ":$PATH:" in
  *":$dir:"*) ;;
  *) PATH="$dir:$PATH" ;;
  esac
done
unset dir
export PATH

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
  printf 'error: %s\n' "$*" >&2
  exit 1
}

# Milliseconds since the epoch; phases report their wall time with it.
now_ms() { date +%s%3N; }

# "12.3s" from a millisecond duration.
fmt_ms() { printf '%d.%ds' "$(($1 / 1000))" "$((($1 % 1000) / 100))"; }
