package synth_test

import (
	"bytes"
	"testing"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"

	"ipband/cmd/pcapgen/internal/synth"
)

// TestNamesScenarioMessages decodes the names capture with gopacket: its
// DNS messages parse (with the answers the scenario describes), the TCP
// and UDP checksums of the frames captured whole (the messages and
// requests among them) hold over their payloads, and the TLS and HTTP
// requests are there.
func TestNamesScenarioMessages(t *testing.T) {
	b, _ := generate(t, "names", synth.Options{}, synth.WriterOptions{})
	recs, err := readRecords(b, synth.FormatPcap)
	if err != nil {
		t.Fatal(err)
	}
	var dnsMsgs, answers, cnames, hellos, gets int
	for i, r := range recs {
		pkt := gopacket.NewPacket(r.data, layers.LayerTypeEthernet, gopacket.Default)
		if el := pkt.ErrorLayer(); el != nil {
			t.Fatalf("record %d: %v", i, el.Error())
		}
		var payload []byte
		whole := r.ci.CaptureLength == r.ci.Length // a checksum covers what the snap length cut
		switch tl := pkt.TransportLayer().(type) {
		case *layers.UDP:
			payload = tl.Payload
			if err := tl.SetNetworkLayerForChecksum(pkt.NetworkLayer()); err == nil && whole {
				checkChecksum(t, tl, tl.Checksum)
			}
		case *layers.TCP:
			payload = tl.Payload
			if err := tl.SetNetworkLayerForChecksum(pkt.NetworkLayer()); err == nil && whole {
				checkChecksum(t, tl, tl.Checksum)
			}
		}
		if d, ok := pkt.Layer(layers.LayerTypeDNS).(*layers.DNS); ok {
			dnsMsgs++
			answers += len(d.Answers)
			for _, a := range d.Answers {
				if a.Type == layers.DNSTypeCNAME {
					cnames++
				}
			}
		}
		switch {
		case len(payload) > 6 && payload[0] == 0x16 && payload[5] == 1:
			hellos++
		case bytes.HasPrefix(payload, []byte("GET ")):
			gets++
		}
	}
	// Over UDP (gopacket does not read DNS over TCP): 4 queries, 5
	// answers (one unsolicited, one with the wrong ID) holding 7 records,
	// 2 of them the CNAME chain.
	if dnsMsgs != 9 || answers != 7 || cnames != 2 || hellos != 2 || gets != 1 {
		t.Errorf("%d DNS messages, %d answers, %d CNAMEs, %d ClientHellos, %d GETs; want 9, 7, 2, 2, 1",
			dnsMsgs, answers, cnames, hellos, gets)
	}
}
