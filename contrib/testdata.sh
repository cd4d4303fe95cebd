#!/bin/sh
# testdata.sh PCAPGEN: regenerate the synthetic captures in testdata/ with
# the generator. The output is deterministic: rerunning it changes no byte.
# The loopback captures (loopback-*.pcap) are real tcpdump captures and
# are not regenerated here; see contrib/capture-loopback.sh.
set -eu
gen=$(realpath "${1:-bin/pcapgen}")
cd "$(dirname "$0")/../testdata"
"$gen" -s classic -o classic.pcap
"$gen" -s dynamic -o dynamic.pcap
"$gen" -s ipv6 -o ipv6.pcap
"$gen" -s fragments -o fragments.pcap
"$gen" -s names -o names.pcap
# One scenario in every link type the decoder reads, and in pcapng.
for link in eth vlan qinq sll sll2 raw null ppp; do
	"$gen" -s fragments --link "$link" -o "link-$link.pcap"
done
"$gen" -s fragments --format pcapng -o link-eth.pcapng
for s in frames caplen cut timejump pcapng-blocks pcapng-oversized; do
	case $s in pcapng-*) ext=pcapng ;; *) ext=pcap ;; esac
	"$gen" -s "malformed-$s" -o "malformed-$s.$ext"
done
