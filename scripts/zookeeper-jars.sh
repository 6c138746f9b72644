#!/usr/bin/env bash
# Fetches the official Apache ZooKeeper server jars (zookeeper and its runtime
# dependencies) from Maven Central into a directory, so that the cluster
# tests can start a real ZooKeeper for the replicated ClickHouse tables on
# the machine's Java.
#
# Usage: scripts/zookeeper-jars.sh VERSION [DIR]
#
# DIR defaults to $HOME/.cache/riskwatch/zookeeper-VERSION. The download is
# skipped when DIR already holds zookeeper-VERSION.jar. The script prints DIR
# on standard output when it succeeds.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || -z "${1:-}" ]]; then
	echo "usage: $0 VERSION [DIR]" >&2
	exit 2
fi

version="$1"
dir="${2:-${HOME}/.cache/riskwatch/zookeeper-${version}}"
dir="$(realpath -m -- "${dir}")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="${here}/zookeeper/pom.xml"

if [[ -f "${dir}/zookeeper-${version}.jar" && -f "${dir}/metrics-core-4.1.12.1.jar" ]]; then
	echo "${dir}"
	exit 0
fi

if ! command -v mvn >/dev/null 2>&1; then
	echo "$0: mvn not found; install Maven (make deps, or apt-get install maven)" >&2
	exit 1
fi

mkdir -p "$(dirname "${dir}")"
# Download into a temporary sibling directory and move it into place only when
# complete, so an interrupted download never looks like a finished one.
tmp="$(mktemp -d "${dir}.tmp.XXXXXX")"
trap 'rm -rf "${tmp}"' EXIT

mvn -q -B -Dstyle.color=never -f "${pom}" -Dzookeeper.version="${version}" -DoutputDirectory="${tmp}" \
	dependency:copy-dependencies >&2

if [[ ! -f "${tmp}/zookeeper-${version}.jar" ]]; then
	echo "$0: Maven did not produce zookeeper-${version}.jar in ${tmp}" >&2
	exit 1
fi

rm -rf "${dir}"
mv "${tmp}" "${dir}"
trap - EXIT
echo "${dir}"
