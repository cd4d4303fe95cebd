package main

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFilterLinkTypes replays the same traffic in every link type with a
// filter: each must compile (LINUX_SLL2 is 276, beyond a byte; raw IP is
// 101, not a DLT_ value) and select the same packets as on Ethernet.
func TestFilterLinkTypes(t *testing.T) {
	tags := map[string]string{"vlan": "vlan and ", "qinq": "vlan and vlan and "}
	count := func(link string) (hostileSummary, hostileResult) {
		file := filepath.Join(td, "link-"+link+".pcap")
		r := hostileRun(t, "-C", "--read", file, "-f", tags[link]+"ip and udp", "-o", "OUT")
		sum, others := splitStderr(t, r.stderr, file)
		if r.code != exitOK || !sum.found || len(others) != 0 {
			t.Errorf("link %s: exit %d:\n%s", link, r.code, r.stderr)
		}
		return sum, r
	}
	want, _ := count("eth")
	eth := filepath.Join(td, "link-eth.pcap")
	all, _ := splitStderr(t, hostileRun(t, "-C", "--read", eth, "-o", "OUT").stderr, eth)
	if want.ip == 0 || want.ip >= all.ip {
		t.Fatalf("ethernet: the filter kept %d IP packets of %d", want.ip, all.ip)
	}
	for _, link := range linkTypes[1:] {
		if got, r := count(link); got != want {
			t.Errorf("link %s: %+v, want %+v as on Ethernet:\n%s", link, got, want, r.stderr)
		}
	}
}

// TestFilterEmptyRecord replays with a filter a capture whose records
// captured no byte: they are counted as malformed, never filtered, and
// the replay goes on to the end.
func TestFilterEmptyRecord(t *testing.T) {
	le := binary.LittleEndian
	b := le.AppendUint32(nil, 0xa1b2c3d4)
	b = le.AppendUint16(b, 2)
	b = le.AppendUint16(b, 4)
	b = append(b, make([]byte, 8)...)
	b = le.AppendUint32(b, 65535)
	b = le.AppendUint32(b, 1) // Ethernet
	for i, wire := range []uint32{60, 0, 1514} {
		b = le.AppendUint32(b, uint32(1+i))
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, 0) // captured length
		b = le.AppendUint32(b, wire)
	}
	file := filepath.Join(t.TempDir(), "empty-records.pcap")
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, filter := range []string{"udp", "not udp", "less 100"} {
		r := hostileRun(t, "-C", "--read", file, "-f", filter, "-o", "OUT")
		sum, others := splitStderr(t, r.stderr, file)
		if r.code != exitOK || len(others) != 0 || sum.packets != 3 || sum.malformed != 3 {
			t.Errorf("-f %q: exit %d, %+v, want 3 packets, 3 malformed:\n%s", filter, r.code, sum, r.stderr)
		}
		if strings.Contains(r.outfile, "Date:") {
			t.Errorf("-f %q: a report from empty records", filter)
		}
	}
}
