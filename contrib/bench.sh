#!/bin/sh
# bench.sh: replay speed of ipband against the libpcap read floor.
#
# Generates a BENCH_N-packet capture of the bench scenario (default
# 2,000,000 packets, snaplen 96) in a temporary directory, then times on
# that same file:
#   tcpdump -r FILE -w /dev/null          the libpcap read floor
#   ipband --read FILE, dynamic mode (-m 24), no subnet over its threshold
#   ipband --read FILE, 20 preloaded subnets, none over its threshold
#   ipband --read FILE, the same 20 plus the hot subnet 10.10.7.0 (half
#                       of all packets) in detail logging, reporting each
#                       minute
# and prints packets/s for each, the ratio of its time to the floor's, and
# its peak RSS. Then a flood of 1,000,000 packets from distinct random
# sources to one host, in dynamic mode with the default table caps and
# -m 32, checks peak RSS. Last, the flood-heavy capture (2,000,000 packets
# in one minute: 33,000 new random sources a second and through them
# 10.10.50.10 at 14600 bytes a second, twice the 7 kBps default) is
# replayed in dynamic mode with 10 s periods and reports after 20 s, with
# --max-subnets 1000 and with the default 16384: the heavy subnet must be
# reported (twice) and no flood source. Every figure is the best of
# BENCH_RUNS runs (default 3). The temporary directory is removed at exit.
#
# Needs tcpdump and /usr/bin/time (Debian package time); `make bench`
# installs them when they are missing.
set -eu
N=${BENCH_N:-2000000}
RUNS=${BENCH_RUNS:-3}
IPBAND=${IPBAND:-bin/ipband}
PCAPGEN=${PCAPGEN:-bin/pcapgen}
FLOOD_N=1000000
RSS_LIMIT=65536 # KiB

command -v tcpdump >/dev/null || { echo "bench.sh: needs tcpdump" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }

dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT INT TERM

"$PCAPGEN" -s bench -n "$N" -o "$dir/bench.pcap"
"$PCAPGEN" -s flood -n "$FLOOD_N" -o "$dir/flood.pcap"
"$PCAPGEN" -s flood-heavy -o "$dir/flood-heavy.pcap"

# 20 preloaded subnets of the bench load (10.10.1.0, 10.10.11.0, ...,
# 10.10.191.0; not the hot one), thresholds above anything they carry.
i=0
while [ $i -lt 20 ]; do
	echo "subnet 10.10.$((i * 10 + 1)).0 bandwidth 100000"
	i=$((i + 1))
done >"$dir/preload.conf"
# The same, plus the hot subnet with a threshold it stays over (~1070 kBps
# at the default count).
cp "$dir/preload.conf" "$dir/hot.conf"
echo "subnet 10.10.7.0 bandwidth $(awk -v n="$N" 'BEGIN { printf "%d", 1000 * n / 2000000 }')" >>"$dir/hot.conf"

# now: a clock in nanoseconds.
now() { date +%s%N; }

# best CMD...: runs CMD RUNS times and prints the best wall time in
# seconds and the largest peak RSS in KiB. A failing CMD stops the bench.
best() {
	t=""
	rss=0
	for _ in $(seq "$RUNS"); do
		start=$(now)
		if ! /usr/bin/time -f %M -o "$dir/rss" "$@" >/dev/null 2>"$dir/err"; then
			echo "bench.sh: failed: $*" >&2
			cat "$dir/err" >&2
			exit 1
		fi
		end=$(now)
		t=$(awk -v a="$start" -v b="$end" -v t="$t" 'BEGIN { s = (b - a) / 1e9; if (t == "" || s < t) t = s; printf "%.4f", t }')
		m=$(tail -n 1 "$dir/rss")
		[ "$m" -gt "$rss" ] && rss=$m
	done
	echo "$t $rss"
}

# row NAME SECONDS RSS: one line of the table.
row() {
	awk -v name="$1" -v s="$2" -v rss="$3" -v floor="$floor" -v n="$N" \
		'BEGIN { printf "%-36s %8.3f s %12.0f pkt/s   %5.2f   %7d KiB\n", name, s, n / s, s / floor, rss }'
}

# verdict NAME SECONDS LIMIT: whether the ratio to the floor meets LIMIT.
verdict() {
	awk -v name="$1" -v s="$2" -v floor="$floor" -v lim="$3" \
		'BEGIN { r = s / floor; printf "  %-34s ratio %.2f, target <= %.2f: %s\n", name, r, lim, (r <= lim ? "met" : "MISSED") }'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(go version 2>/dev/null | cut -d' ' -f3-)"
echo "capture: $N packets, $(du -h "$dir/bench.pcap" | cut -f1); best of $RUNS runs"
printf '%-36s %10s %18s   %5s   %11s\n' "" "time" "rate" "ratio" "peak RSS"
set -- $(best tcpdump -r "$dir/bench.pcap" -w /dev/null)
floor=$1
row "tcpdump -r FILE -w /dev/null" "$1" "$2"
set -- $(best "$IPBAND" -C --read "$dir/bench.pcap" -m 24 -b 100000 -o /dev/null)
dyn=$1
row "ipband dynamic (-m 24)" "$1" "$2"
set -- $(best "$IPBAND" -c "$dir/preload.conf" --read "$dir/bench.pcap" -o /dev/null)
pre=$1
row "ipband preloaded (20 subnets)" "$1" "$2"
set -- $(best "$IPBAND" -c "$dir/hot.conf" --read "$dir/bench.pcap" -r 60 -o /dev/null)
hot=$1
row "ipband hot subnet in detail logging" "$1" "$2"

set -- $(best "$IPBAND" -C --read "$dir/flood.pcap" -m 32 -o /dev/null)
flood_rss=$2
echo "flood: $FLOOD_N distinct random sources, dynamic mode (-m 32, default caps): $1 s, peak RSS $2 KiB"

# heavy MAX: replays flood-heavy with MAX dynamic subnets; prints the
# time, peak RSS, the reports of 10.10.50.0 and the reports of any subnet
# but 10.10.50.0, 198.51.100.0 (its peer) and 10.10.123.0 (the target).
heavy() {
	max=$1
	set -- $(best "$IPBAND" -C --networks /dev/null --read "$dir/flood-heavy.pcap" -a 10 -r 20 --max-subnets "$max" -o /dev/null)
	rm -f "$dir/heavy.txt"
	"$IPBAND" -C --networks /dev/null --read "$dir/flood-heavy.pcap" -a 10 -r 20 --max-subnets "$max" -o "$dir/heavy.txt" 2>/dev/null
	n=$(grep -c '^Network: 10\.10\.50\.0$' "$dir/heavy.txt" || true)
	other=$(grep '^Network: ' "$dir/heavy.txt" | grep -cv -e ' 10\.10\.50\.0$' -e ' 198\.51\.100\.0$' -e ' 10\.10\.123\.0$' || true)
	echo "$1 $2 $n $other"
}
for max in 1000 16384; do
	set -- $(heavy "$max")
	echo "flood-heavy, --max-subnets $max: $1 s, peak RSS $2 KiB; 10.10.50.0 reported $3 times (want 2), flood sources $4 (want 0)"
	[ "$3" -eq 2 ] && [ "$4" -eq 0 ] || heavy_missed=1
done

echo "targets:"
verdict "dynamic" "$dyn" 1.0
verdict "preloaded" "$pre" 1.0
verdict "detail logging" "$hot" 1.5
awk -v rss="$flood_rss" -v lim="$RSS_LIMIT" 'BEGIN { printf "  %-34s %d KiB, target < %d KiB: %s\n", "flood peak RSS", rss, lim, (rss < lim ? "met" : "MISSED") }'
printf '  %-34s %s\n' "flood-heavy reported" "$([ -z "${heavy_missed:-}" ] && echo met || echo MISSED)"
