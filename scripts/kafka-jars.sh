#!/usr/bin/env bash
# Fetches the official Apache Kafka broker jars (kafka_2.13 and its runtime
# dependencies) from Maven Central into a directory, so that tests and local
# runs can start a real single-node KRaft broker on the machine's Java.
#
# Usage: scripts/kafka-jars.sh VERSION [DIR]
#
# DIR defaults to $HOME/.cache/riskwatch/kafka-VERSION. The download is
# skipped when DIR already holds kafka_2.13-VERSION.jar. The script prints DIR
# on standard output when it succeeds.
set -euo pipefail

if [[ $# -lt 1 || $# -gt 2 || -z "${1:-}" ]]; then
	echo "usage: $0 VERSION [DIR]" >&2
	exit 2
fi

version="$1"
dir="${2:-${HOME}/.cache/riskwatch/kafka-${version}}"
# Maven resolves a relative outputDirectory against the pom's directory, so
# make DIR absolute against the caller's working directory first.
dir="$(realpath -m -- "${dir}")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="${here}/kafka/pom.xml"

if [[ -f "${dir}/kafka_2.13-${version}.jar" && -f "${dir}/slf4j-simple-1.7.36.jar" ]]; then
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

mvn -q -B -Dstyle.color=never -f "${pom}" -Dkafka.version="${version}" -DoutputDirectory="${tmp}" \
	dependency:copy-dependencies >&2

if [[ ! -f "${tmp}/kafka_2.13-${version}.jar" ]]; then
	echo "$0: Maven did not produce kafka_2.13-${version}.jar in ${tmp}" >&2
	exit 1
fi

rm -rf "${dir}"
mv "${tmp}" "${dir}"
trap - EXIT
echo "${dir}"
