package privilege

import (
	"strings"
	"testing"
)

// TestParseStatus checks the /proc status reader that confirms a drop.
func TestParseStatus(t *testing.T) {
	const dropped = "Name:\tipband\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n" +
		"Groups:\t \nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n" +
		"CapBnd:\t000001ffffffffff\nCapAmb:\t0000000000000000\n"
	id := Identity{Name: "nobody", UID: 65534, GID: 65534}
	st, err := parseStatus([]byte(dropped))
	if err != nil {
		t.Fatal(err)
	}
	if err := st.check(id); err != nil {
		t.Errorf("dropped status: %v", err)
	}
	for _, tt := range []struct{ name, old, new, want string }{
		{"saved uid", "65534\t65534\t65534\t65534\nGid", "65534\t65534\t0\t65534\nGid", "uids [65534 65534 0 65534], want 65534"},
		{"group", "Gid:\t65534\t65534\t65534\t65534", "Gid:\t65534\t0\t65534\t65534", "gids"},
		{"groups", "Groups:\t ", "Groups:\t0 4", "supplementary groups [0 4]"},
		{"ambient", "CapAmb:\t0000000000000000", "CapAmb:\t0000000000003000", "ambient 0x3000"},
		{"permitted", "CapPrm:\t0000000000000000", "CapPrm:\t0000000000002000", "permitted 0x2000"},
	} {
		st, err := parseStatus([]byte(strings.Replace(dropped, tt.old, tt.new, 1)))
		if err == nil {
			err = st.check(id)
		}
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := parseStatus([]byte("Name:\tx\nUid:\t1\t1\t1\t1\n")); err == nil {
		t.Error("a status without Gid, Groups and Cap lines was accepted")
	}
	if _, err := parseStatus([]byte(strings.Replace(dropped, "CapEff:\t0000000000000000", "CapEff:\tzz", 1))); err == nil {
		t.Error("a bad CapEff was accepted")
	}
}
