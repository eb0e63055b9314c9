# Shared helpers for Sotto's scripts (sourced, not run).
log() { printf '[sotto] %s\n' "$*" >&2; }
die() { printf '[sotto] error: %s\n' "$*" >&2; exit 1; }
# Where the QCA/QXmpp builds are cached: outside any clone, shared by every clone of this user.
deps_cache_root() { printf '%s\n' "${SOTTO_DEPS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sotto-deps}"; }
# File naming the prefix in use (absent when the system provides Qt 6 builds).
deps_pointer() { printf '%s/current\n' "$(deps_cache_root)"; }
