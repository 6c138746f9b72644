#!/usr/bin/env bash
# Fetches the official jars of an Apache server (the server jar and its
# runtime dependencies, as listed by scripts/NAME/pom.xml) from Maven Central
# into a directory, so that tests and local runs can start the real server on
# the machine's Java.
#
# Usage: scripts/maven-jars.sh kafka|zookeeper VERSION [DIR]
#
# DIR defaults to $HOME/.cache/riskwatch/NAME-VERSION. The download is skipped
# when DIR already holds the server jar and the last dependency the pom adds.
# The script prints DIR on standard output when it succeeds.
set -euo pipefail

if [[ $# -lt 2 || $# -gt 3 || -z "${2:-}" ]]; then
	echo "usage: $0 kafka|zookeeper VERSION [DIR]" >&2
	exit 2
fi

name="$1"
version="$2"
case "${name}" in
kafka)
	jar="kafka_2.13-${version}.jar"
	extra="slf4j-simple-1.7.36.jar"
	;;
zookeeper)
	jar="zookeeper-${version}.jar"
	extra="metrics-core-4.1.12.1.jar"
	;;
*)
	echo "$0: unknown server ${name} (want kafka or zookeeper)" >&2
	exit 2
	;;
esac

dir="${3:-${HOME}/.cache/riskwatch/${name}-${version}}"
# Maven resolves a relative outputDirectory against the pom's directory, so
# make DIR absolute against the caller's working directory first.
dir="$(realpath -m -- "${dir}")"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
pom="${here}/${name}/pom.xml"

if [[ -f "${dir}/${jar}" && -f "${dir}/${extra}" ]]; then
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

mvn -q -B -Dstyle.color=never -f "${pom}" -D"${name}.version=${version}" -DoutputDirectory="${tmp}" \
	dependency:copy-dependencies >&2

if [[ ! -f "${tmp}/${jar}" ]]; then
	echo "$0: Maven did not produce ${jar} in ${tmp}" >&2
	exit 1
fi

rm -rf "${dir}"
mv "${tmp}" "${dir}"
trap - EXIT
echo "${dir}"
