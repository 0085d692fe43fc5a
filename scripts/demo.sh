#!/bin/sh
# make demo: the whole job on samples/ against the built-in sandbox gateway,
# with a throw-away journal; the workbook lands in out/.
set -eu
cd "$(dirname "$0")/.."
bin=bin/reconcile
mkdir -p out
tmp=$(mktemp -d)
log="$tmp/sandbox.log"

# The demo's sandbox: the samples' materials, a customs office where the
# merchant is not registered, an order customs answers with EXCEPT; customs
# decides within seconds, and refuses …602 after accepting it.
"$bin" sandbox --listen 127.0.0.1:0 --materials samples/sandbox/materials.json \
	--fail-customs TIANJIN --except-orders 5118609024991031619 \
	--processing-after 1s --success-after 3s --fail-later-orders 5118609024991031602 >"$log" 2>&1 &
sandbox=$!
trap 'kill "$sandbox" 2>/dev/null || true; rm -rf "$tmp"' EXIT INT TERM

url=""
i=0
while [ -z "$url" ] && [ "$i" -lt 100 ]; do
	url=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$log")
	[ -n "$url" ] || sleep 0.1
	i=$((i + 1))
done
if [ -z "$url" ]; then
	echo "make demo: the sandbox did not start:" >&2
	cat "$log" >&2
	exit 1
fi

# The sandbox's documented demo credentials. The night's run, then, once
# customs has decided, the morning's rerun of the same day: it declares
# nothing again, follows the night's declarations to their end (…602 ends
# FAIL: a DECLARE_REJECTED naming the night) and keeps the notes.
status=0
night() {
	TOP_APP_KEY=12345678 TOP_APP_SECRET=sandbox-secret TOP_SESSION=sandbox-session \
		"$bin" run --config samples/reconcile.toml --date 2026-11-20 \
		--gateway "$url" --state "$tmp/reconcile.db" --quiet
}
echo "== the night's run"
night || status=$?
sleep 4
echo
echo "== the morning's rerun, once customs has decided"
night || status=$?

echo
echo "workbook: $(pwd)/out/reconcile_2026-11-20.xlsx"
echo "summary:  $(pwd)/out/summary.json"
exit "$status"
