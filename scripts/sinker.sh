#!/usr/bin/env bash
# Installs housepower/clickhouse_sinker at a pinned commit for
# `make bench-ingest-vs-sinker` and prints the binary's path.
#
#   scripts/sinker.sh VERSION [SOURCE]
#
# VERSION is the module version of the commit, a pseudo-version
# (v0.0.0-<commit time UTC>-<12 hex digits of the commit>): the module's
# go.mod has no /v3 suffix, so its v3.x tags are no module versions. The
# binary goes to $RISKWATCH_CACHE/bin (default ~/.cache/riskwatch/bin),
# named after the version, and is reused. It comes from `go install
# …@VERSION` when the Go module proxy serves the module, else from SOURCE, a
# git clone of the sinker holding the commit: that commit's tree is built
# with its own go.mod and go.sum (-mod=readonly; the dependencies come from
# the module proxy). Without either it says why and exits 1.
set -euo pipefail

version="${1:?usage: scripts/sinker.sh VERSION [SOURCE]}"
src="${2:-}"
module=github.com/housepower/clickhouse_sinker
cache="${RISKWATCH_CACHE:-${HOME}/.cache/riskwatch}"
bin="$cache/bin/clickhouse_sinker-$version"
short="${version##*-}"
log() { echo "sinker: $*" >&2; }

if [[ -x "$bin" ]]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$cache/bin"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

if GOBIN="$tmp/gobin" GOFLAGS=-mod=mod go install "$module/cmd/clickhouse_sinker@$version" 2>"$tmp/install.log"; then
	mv "$tmp/gobin/clickhouse_sinker" "$bin"
	log "installed $module@$version"
	echo "$bin"
	exit 0
fi
why="$(grep -v '^go: downloading' "$tmp/install.log" | head -2 | tr '\n' ' ')"
if [[ -z "$src" ]]; then
	log "cannot install $module@$version: $why"
	log "give SINKER_SRC=<a git clone of https://github.com/housepower/clickhouse_sinker holding commit $short>"
	exit 1
fi
commit="$(git -C "$src" rev-parse --verify -q "$short^{commit}" || true)"
if [[ -z "$commit" ]]; then
	log "cannot build $module@$version: $src is not a git clone holding commit $short"
	exit 1
fi
when="$(TZ=UTC git -C "$src" log -1 --format=%cd --date=format-local:%Y%m%d%H%M%S "$commit")"
if [[ "v0.0.0-$when-$short" != "$version" ]]; then
	log "cannot build $module@$version: commit $commit of $src is v0.0.0-$when-$short"
	exit 1
fi
log "the module proxy does not serve $module@$version ($why); building commit $commit from $src"
git -C "$src" archive "$commit" | tar -x -C "$tmp"
(cd "$tmp" && GOFLAGS=-mod=readonly go build -trimpath -o "$bin" ./cmd/clickhouse_sinker) >&2
log "built $bin"
echo "$bin"
