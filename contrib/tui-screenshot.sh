#!/bin/sh
# tui-screenshot.sh IPBAND OUT.txt [OUT.png]: run ipband --tui in tmux on
# testdata/classic.pcap at 20 times the capture's pace, wait until a report
# is made, capture the terminal as text into OUT.txt and, with chromium,
# render that text into OUT.png.
set -eu
ipband=$1
txt=$2
png=${3:-}
command -v tmux >/dev/null || { echo "tui-screenshot.sh: tmux not found (apt-get install tmux)" >&2; exit 1; }
tmp=$(mktemp -d)
sock=ipband-shot-$$
trap 'tmux -L "$sock" kill-server 2>/dev/null || true; rm -rf "$tmp"' EXIT
tmux -L "$sock" new-session -d -x 132 -y 16 \
	"$ipband -c testdata/classic.conf --networks testdata/networks --read testdata/classic.pcap --replay-speed 20 --tui -o $tmp/ipband.txt 2>$tmp/stderr; sleep 60"
i=0
until tmux -L "$sock" capture-pane -p | grep -q '1 report'; do
	i=$((i + 1))
	[ $i -lt 600 ] || { echo "tui-screenshot.sh: no report on the screen" >&2; exit 1; }
	sleep 0.1
done
sleep 1.5 # the next snapshot: the NOW column filled
tmux -L "$sock" capture-pane -p >"$txt"
echo "wrote $txt"
[ -n "$png" ] || exit 0
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "tui-screenshot.sh: chromium not found (apt-get install chromium)" >&2; exit 1; }
{
	printf '<!DOCTYPE html><meta charset="utf-8"><style>body{margin:0;background:#1e1e1e}'
	printf 'pre{margin:0;padding:8px;color:#ddd;font:14px/1.25 "DejaVu Sans Mono",monospace}</style><pre>'
	sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g' "$txt"
	printf '</pre>'
} >"$tmp/tui.html"
"$chrome" --headless --no-sandbox --disable-gpu --disable-background-networking \
	--disable-component-update --disable-sync --no-first-run --hide-scrollbars \
	--user-data-dir="$tmp/profile" --window-size=1130,330 \
	--screenshot="$tmp/tui.png" "file://$tmp/tui.html" >"$tmp/chromium.log" 2>&1 || {
	cat "$tmp/chromium.log" >&2
	exit 1
}
mv "$tmp/tui.png" "$png"
echo "wrote $png"
