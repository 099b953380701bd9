#!/bin/sh
# Peak memory of a crawl whose every document is a gzip bomb sent without
# being asked for (1 MB on the wire, 1 GiB inflated; issue 10 defect 3).
# Prints the peak RSS in KB as measured by /usr/bin/time -f %M.
#
#   scripts/gzipbomb.sh            # 20 documents, each a 1 GiB bomb
#   DOCS=5 BOMB=1073741824 scripts/gzipbomb.sh
set -eu
DOCS=${DOCS:-20}
BOMB=${BOMB:-1073741824}
PORT=${PORT:-18097}
dir=$(mktemp -d)
trap 'kill $site 2>/dev/null; rm -rf "$dir"' EXIT
go build -o "$dir/kremlin-archive" ./cmd/kremlin-archive
go build -o "$dir/kremlin-fakesite" ./cmd/kremlin-fakesite
"$dir/kremlin-fakesite" -addr 127.0.0.1:$PORT -docs "$DOCS" \
	-faults "gzip-bomb=1,max=-1,bomb-bytes=$BOMB,match=^/events/president/[a-z/]+/[0-9]+$" >"$dir/site.log" 2>&1 &
site=$!
sleep 1
cat >"$dir/crawl.yaml" <<YAML
db: $dir/bomb.db
delay: 0s
jitter: 0s
retries: 0
sites:
  - lang: en
    base_url: http://127.0.0.1:$PORT
    sections: [news]
YAML
/usr/bin/time -f 'peak RSS %M KB, %e s' "$dir/kremlin-archive" backfill --config "$dir/crawl.yaml" 2>"$dir/run.log" || true
grep -m1 -o 'inflates to more than the max_body limit of [0-9]* bytes' "$dir/run.log" || true
grep -E 'run finished' "$dir/run.log" | sed 's/^.*msg="run finished"//' | cut -c1-200
tail -1 "$dir/run.log"
