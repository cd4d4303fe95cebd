#!/bin/sh
# screenshot.sh IPBAND OUT.png: replay testdata/classic.pcap with -w into a
# temporary directory and render the status page with headless Chromium.
set -eu
ipband=$1
out=$2
width=${WIDTH:-960}
height=${HEIGHT:-1500}
chrome=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$chrome" ]; then
	echo "screenshot.sh: chromium not found (apt-get install chromium)" >&2
	exit 1
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$ipband" --read testdata/classic.pcap -c testdata/classic.conf --networks testdata/networks \
	-w "$tmp/ipband.html" -o "$tmp/ipband.txt"
"$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
	--user-data-dir="$tmp/profile" --window-size="$width,$height" \
	--screenshot="$tmp/page.png" "file://$tmp/ipband.html" >"$tmp/chromium.log" 2>&1 || {
	cat "$tmp/chromium.log" >&2
	exit 1
}
mv "$tmp/page.png" "$out"
echo "wrote $out"
