#!/bin/sh
# capture-loopback.sh: make the real loopback captures in testdata/ with
# tcpdump (needs root): testdata/loopback-lo.pcap on lo (Ethernet link type)
# and testdata/loopback-any.pcap on "any" (Linux cooked). The traffic is
# ours, to 127.0.0.1 and ::1 only: ICMP echo, HTTP downloads over IPv4 and
# IPv6 from a local python3 http.server, and UDP datagrams.
# Unlike the generated captures these are not reproducible byte for byte;
# their goldens are rewritten with `go test ./cmd/ipband -update` after a
# new capture.
set -eu
cd "$(dirname "$0")/../testdata"
port=18765
www=$(mktemp -d)
head -c 1500000 /dev/zero | tr '\0' 'x' >"$www/blob"
( cd "$www" && exec python3 -m http.server --bind :: "$port" >/dev/null 2>&1 ) &
web=$!
capture() { # iface file
	tcpdump -i "$1" -s 128 -w "$2" -U "host 127.0.0.1 or host ::1" 2>/dev/null &
	dump=$!
	sleep 1
	ping -c 15 -i 0.2 -s 1000 127.0.0.1 >/dev/null
	for i in 1 2 3 4 5 6; do
		curl -s -o /dev/null "http://127.0.0.1:$port/blob"
		curl -s -o /dev/null -g "http://[::1]:$port/blob"
		sleep 1
	done
	for i in $(seq 1 50); do printf '%0900d' 0 >/dev/udp/127.0.0.1/18766 2>/dev/null || true; done
	sleep 3 # an idle stretch, then one last packet so the periods close
	ping -c 1 127.0.0.1 >/dev/null
	sleep 1
	kill "$dump"
	wait "$dump" || true
}
capture lo loopback-lo.pcap
capture any loopback-any.pcap
kill "$web"
rm -rf "$www"
