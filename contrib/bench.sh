#!/bin/sh
# bench.sh: replay speed of ipband against the libpcap read floor.
#
# Generates a BENCH_N-packet capture (snaplen 96) in a temporary directory,
# then times on that same file:
#   tcpdump -r FILE -w /dev/null     the libpcap read floor
#   ipband --read FILE, dynamic mode (-m 24)
#   ipband --read FILE, 20 preloaded subnets
#   ipband --read FILE, a hot subnet in detail logging
# and prints packets/s for each, the ratio ipband/floor, and peak RSS.
# A flood of 1,000,000 random sources in dynamic mode checks peak RSS.
set -eu
N=${BENCH_N:-2000000}
IPBAND=${IPBAND:-bin/ipband}
PCAPGEN=${PCAPGEN:-bin/pcapgen}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

"$PCAPGEN" -s bench -n "$N" -o "$dir/bench.pcap"
"$PCAPGEN" -s flood -n 1000000 -o "$dir/flood.pcap"

# 20 preloaded subnets, thresholds above anything in the capture.
{
	i=0
	while [ $i -lt 20 ]; do echo "subnet 10.10.$((i * 10 + 1)).0 bandwidth 100000"; i=$((i + 1)); done
} >"$dir/preload.conf"
# The hot subnet of the bench scenario, with a threshold it crosses.
echo "subnet 10.10.7.0 bandwidth 1" >"$dir/hot.conf"

# best3 CMD...: best wall time in seconds of three runs, and the peak RSS in KiB.
best3() {
	best=""
	rss=0
	for _ in 1 2 3; do
		/usr/bin/time -f "%e %M" -o "$dir/time" "$@" >/dev/null 2>&1 || true
		read -r t m <"$dir/time"
		if [ -z "$best" ] || [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
		[ "$m" -gt "$rss" ] && rss=$m
	done
	echo "$best $rss"
}

row() { # name seconds rss floor
	pps=$(echo "$N / $2" | bc)
	ratio=$(echo "scale=2; $2 / $4" | bc)
	printf '%-34s %8.3f s %12s pkt/s  ratio %5s  peak RSS %6d KiB\n' "$1" "$2" "$pps" "$ratio" "$3"
}

command -v bc >/dev/null || { echo "bench needs bc"; exit 1; }
[ -x /usr/bin/time ] || { echo "bench needs /usr/bin/time (Debian package time)"; exit 1; }

echo "capture: $N packets, $(du -h "$dir/bench.pcap" | cut -f1), on $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
set -- $(best3 tcpdump -r "$dir/bench.pcap" -w /dev/null)
floor=$1
row "tcpdump -r FILE -w /dev/null" "$floor" "$2" "$floor"
set -- $(best3 "$IPBAND" -C --read "$dir/bench.pcap" -m 24 -o /dev/null)
row "ipband dynamic (-m 24)" "$1" "$2" "$floor"
set -- $(best3 "$IPBAND" -c "$dir/preload.conf" --read "$dir/bench.pcap" -o /dev/null)
row "ipband preloaded (20 subnets)" "$1" "$2" "$floor"
set -- $(best3 "$IPBAND" -c "$dir/hot.conf" --read "$dir/bench.pcap" -r 60 -o /dev/null)
row "ipband hot subnet in detail logging" "$1" "$2" "$floor"
set -- $(best3 "$IPBAND" -C --read "$dir/flood.pcap" -m 32 -o /dev/null)
printf '%-34s %8.3f s  peak RSS %d KiB (limit 65536)\n' "flood: 1,000,000 random sources" "$1" "$2"
