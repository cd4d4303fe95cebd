package pcapfile_test

import (
	"testing"

	"ipband/watchdog/pcapfile"
)

func TestLinkTypeName(t *testing.T) {
	for _, tt := range []struct {
		lt   pcapfile.LinkType
		want string
	}{
		{0, "NULL"}, {1, "EN10MB"}, {9, "PPP"}, {12, "RAW"}, {14, "RAW"}, {50, "PPP_HDLC"}, {101, "RAW"},
		{104, "C_HDLC"}, {108, "LOOP"}, {113, "LINUX_SLL"}, {147, "USER0"}, {162, "USER15"}, {182, "MFR"},
		{228, "IPV4"}, {229, "IPV6"}, {276, "LINUX_SLL2"}, {2, ""}, {999, ""}, {-5, ""}, {pcapfile.NoLinkType, ""},
	} {
		if got := tt.lt.Name(); got != tt.want {
			t.Errorf("LinkType(%d).Name() = %q, want %q", tt.lt, got, tt.want)
		}
	}
	if got := pcapfile.LinkType(276).String(); got != "LINUX_SLL2" {
		t.Errorf("LinkType(276).String() = %q", got)
	}
	if got := pcapfile.LinkType(999).String(); got != "999" {
		t.Errorf("LinkType(999).String() = %q", got)
	}
}
