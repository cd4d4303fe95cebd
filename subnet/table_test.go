package subnet_test

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"ipband/subnet"
)

type st struct{ keep bool }

func newTable(t *testing.T, max int) *subnet.Table[st] {
	t.Helper()
	tb, err := subnet.NewTable(subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 7, MaxDynamic: max},
		func(s *subnet.Slot[st]) bool { return s.State.keep })
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func prefix(s string) netip.Prefix { return netip.MustParsePrefix(s) }

// TestEvictsFewestBytes: a full table evicts the subnet with the fewest
// bytes this period, the first of equals, never one that keep keeps, and
// never the slot returned by the lookup just before.
func TestEvictsFewestBytes(t *testing.T) {
	tb := newTable(t, 3)
	for _, x := range []struct {
		a string
		n uint64
	}{{"10.0.1.1", 5000}, {"10.0.2.1", 60}, {"2001:db8:3::1", 60}} {
		tb.Add(tb.Lookup(addr(x.a)), x.n)
	}
	tb.Add(tb.Lookup(addr("10.0.4.1")), 1500) // evicts 10.0.2.0, first of the 60s
	if tb.Get(prefix("10.0.2.0/24")) != nil || tb.Get(prefix("2001:db8:3::/64")) == nil {
		t.Fatalf("evicted the wrong subnet: %v", prefixes(tb))
	}
	tb.Add(tb.Lookup(addr("2001:db8:3::1")), 6000) // 5000, 1500, 6000 bytes
	tb.Get(prefix("10.0.4.0/24")).State.keep = true
	s := tb.Lookup(addr("10.0.5.1")) // 10.0.4.0, the fewest, moves aside: room made
	if got := tb.TakeEvicted(); got != 1 {
		t.Errorf("%d evicted, want 1", got)
	}
	if tb.Get(prefix("10.0.1.0/24")) == nil || tb.Get(prefix("10.0.4.0/24")) == nil || tb.Len() != 4 {
		t.Fatalf("after keep: %v", prefixes(tb))
	}
	// s has no bytes yet, the fewest, but the next lookup does not evict
	// it: 10.0.1.0, the fewest after it, goes.
	d := tb.Lookup(addr("10.0.6.1"))
	if d == s || tb.Get(prefix("10.0.5.0/24")) != s || tb.Get(prefix("10.0.1.0/24")) != nil {
		t.Fatalf("the lookup of a packet's destination evicted its source: %v", prefixes(tb))
	}
	tb.RemoveIf(func(s *subnet.Slot[st]) bool { return !s.State.keep })
	if tb.Len() != 1 || tb.Get(prefix("10.0.4.0/24")).Bytes != 1500 {
		t.Fatalf("after RemoveIf: %v", prefixes(tb))
	}
	tb.ResetBytes()
	if b := tb.Get(prefix("10.0.4.0/24")).Bytes; b != 0 {
		t.Errorf("ResetBytes left %d bytes", b)
	}
}

// TestTakeOver moves the subnets of one table into a new one, as a
// configuration reload does: Slots of the old, Insert into the new, state
// and bytes copied; subnets the new table does not track are left out.
func TestTakeOver(t *testing.T) {
	old := newTable(t, 8)
	for i, a := range []string{"10.0.1.1", "10.0.2.1", "192.0.2.1", "2001:db8::1"} {
		s := old.Lookup(addr(a))
		old.Add(s, uint64(1000*(i+1)))
		s.State.keep = i == 1
	}
	local, err := subnet.ParseRanges("10.0.0.0/8,2001:db8::/32")
	if err != nil {
		t.Fatal(err)
	}
	nt, err := subnet.NewTable(subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 9, MaxDynamic: 2, Local: local},
		func(s *subnet.Slot[st]) bool { return s.State.keep })
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range old.Slots(nil) {
		if n := nt.Insert(s.Prefix); n != nil {
			n.State = s.State
			nt.Add(n, s.Bytes)
		}
	}
	// 192.0.2.0 is outside the local ranges; of the other three, in a
	// table of 2, 10.0.1.0 has the fewest bytes (10.0.2.0 is kept).
	want := map[netip.Prefix]uint64{prefix("10.0.2.0/24"): 2000, prefix("2001:db8::/64"): 4000}
	got := map[netip.Prefix]uint64{}
	for _, s := range nt.Slots(nil) {
		got[s.Prefix] = s.Bytes
		if s.Threshold != 9 {
			t.Errorf("%v: threshold %v, want the new table's 9", s.Prefix, s.Threshold)
		}
	}
	if len(got) != len(want) || got[prefix("10.0.2.0/24")] != 2000 || got[prefix("2001:db8::/64")] != 4000 {
		t.Errorf("took over %v, want %v", got, want)
	}
	if !nt.Get(prefix("10.0.2.0/24")).State.keep {
		t.Error("state not taken over")
	}
	for _, p := range []string{"10.0.0.0/16", "10.0.7.5/24", "2001:db8::/48"} {
		if s := nt.Insert(prefix(p)); s != nil {
			t.Errorf("Insert(%s) = %v, want nil: not a subnet of this table", p, s.Prefix)
		}
	}
}

func prefixes(tb *subnet.Table[st]) []netip.Prefix {
	var ps []netip.Prefix
	for _, s := range tb.Slots(nil) {
		ps = append(ps, s.Prefix)
	}
	return ps
}

// TestCount: a packet counts once in each subnet it touches, once when
// both addresses share one, pinned or not, and not at all where the table
// does not track an address.
func TestCount(t *testing.T) {
	local, err := subnet.ParseRanges("10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	tb, err := subnet.NewTable(subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 7, MaxDynamic: 2, Local: local},
		func(s *subnet.Slot[st]) bool { return s.State.keep })
	if err != nil {
		t.Fatal(err)
	}
	sa, sb := tb.Count(addr("10.0.1.1"), addr("10.0.1.2"), 100)
	if sa == nil || sb != nil || sa.Bytes != 100 {
		t.Fatalf("same subnet: %v %v", sa, sb)
	}
	sa.State.keep = true
	sa2, sb := tb.Count(addr("10.0.2.1"), addr("192.0.2.1"), 50) // 192.0.2.0 not local
	if sa2 == nil || sb != nil || sa2.Bytes != 50 {
		t.Fatalf("one address not tracked: %v %v", sa2, sb)
	}
	// 10.0.3.0 evicts 10.0.2.0 (50 bytes); for 10.0.4.0 the victim would
	// be 10.0.1.0 (10.0.3.0 is the packet's source), which is kept: it
	// moves aside, beyond the cap.
	tb.Count(addr("10.0.3.1"), addr("10.0.4.1"), 10)
	if tb.Get(prefix("10.0.2.0/24")) != nil || tb.Len() != 3 {
		t.Fatalf("after the third packet: %v", prefixes(tb))
	}
	if s := tb.Get(prefix("10.0.1.0/24")); s == nil || s.Bytes != 100 {
		t.Fatalf("kept subnet: %v", s)
	}
	// Both addresses in the subnet moved aside count once too.
	before := tb.Get(prefix("10.0.1.0/24")).Bytes
	if sa, sb := tb.Count(addr("10.0.1.7"), addr("10.0.1.8"), 5); sa == nil || sb != nil || sa.Bytes != before+5 {
		t.Errorf("same subnet again: %v %v, %d bytes, want %d", sa, sb, sa.Bytes, before+5)
	}
}

// TestDynamicNames: dynamic subnets take their network names, a slot
// reused for another subnet loses the name of the one before, and IPv6
// subnets have none.
func TestDynamicNames(t *testing.T) {
	n, err := subnet.ParseNetworks(strings.NewReader("halifax 10.10.123\ntoronto 10.10.81.0\nfar 192.0.2.0\n"))
	if err != nil {
		t.Fatal(err)
	}
	tb, err := subnet.NewTable[st](subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 7, MaxDynamic: 2, Networks: n}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ a, want string }{
		{"10.10.123.9", "halifax"},
		{"10.10.124.9", ""}, // the same /16, no name
		{"10.10.81.200", "toronto"},
		{"10.11.0.1", ""}, // takes the slot of a named subnet
		{"192.0.2.77", "far"},
		{"2001:db8::1", ""},
		{"10.10.123.1", "halifax"},
	} {
		s, _ := tb.Count(addr(tt.a), addr("2001:db8:ffff::1"), 100)
		if s == nil || s.Name != tt.want {
			t.Errorf("%s: slot %+v, want name %q", tt.a, s, tt.want)
		}
	}
}

// TestCountIPv4SameAsGeneral counts one stream of IPv4 packets (few
// subnets, a small cap, some subnets kept as in detail logging, pairs in
// one subnet) in a table without local ranges, which counts IPv4 pairs on
// a path of its own, and in one whose local range is everything, which
// takes the general path: every step returns the same subnets, and the
// tables end the same.
func TestCountIPv4SameAsGeneral(t *testing.T) {
	all, err := subnet.ParseRanges("0.0.0.0/0")
	if err != nil {
		t.Fatal(err)
	}
	keep := func(s *subnet.Slot[st]) bool { return s.State.keep }
	var tbs [2]*subnet.Table[st]
	for i, local := range []subnet.Ranges{nil, all} {
		if tbs[i], err = subnet.NewTable(subnet.Options{MaskBits: 24, MaskBits6: 64, Threshold: 7, MaxDynamic: 6, Local: local}, keep); err != nil {
			t.Fatal(err)
		}
	}
	name := func(s *subnet.Slot[st]) string {
		if s == nil {
			return "-"
		}
		return fmt.Sprintf("%s=%d/%d/%d", s.Prefix, s.Bytes, s.In, s.Out)
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	ip := func() netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(rnd.IntN(12)), byte(rnd.IntN(4))}) }
	for i := range 20000 {
		a, b, n := ip(), ip(), uint64(1+rnd.IntN(1500))
		var got [2]string
		for k, tb := range tbs {
			sa, sb := tb.Count(a, b, n)
			got[k] = name(sa) + " " + name(sb)
			if i%97 == 0 && sa != nil {
				sa.State.keep = !sa.State.keep
			}
			if i%500 == 499 {
				tb.RemoveIf(func(s *subnet.Slot[st]) bool { return !s.State.keep && s.Bytes < 3000 })
				tb.ResetBytes()
			}
		}
		if got[0] != got[1] {
			t.Fatalf("packet %d, %s > %s, %d bytes: IPv4 path %s, general path %s", i, a, b, n, got[0], got[1])
		}
	}
	p0, p1 := prefixes(tbs[0]), prefixes(tbs[1])
	for _, ps := range [][]netip.Prefix{p0, p1} { // pinned subnets come in map order
		slices.SortFunc(ps, netip.Prefix.Compare)
	}
	if fmt.Sprint(p0) != fmt.Sprint(p1) || tbs[0].TakeEvicted() != tbs[1].TakeEvicted() {
		t.Errorf("tables differ at the end: %v, %v", p0, p1)
	}
}

// TestReusedSlotIsFresh: a slot evicted and reused for another subnet
// holds nothing of the subnet before: every exported field is what a new
// table's slot for that subnet holds.
func TestReusedSlotIsFresh(t *testing.T) {
	tb, fresh := newTable(t, 1), newTable(t, 1)
	old, _ := tb.Count(addr("10.0.1.1"), addr("10.0.1.2"), 100)
	v := reflect.ValueOf(old).Elem()
	for i := range v.NumField() { // junk in every exported field
		switch f := v.Field(i); {
		case !v.Type().Field(i).IsExported():
		case f.Kind() == reflect.Uint64:
			f.SetUint(12345)
		case f.Kind() == reflect.Float64:
			f.SetFloat(9.5)
		case f.Kind() == reflect.String:
			f.SetString("junk")
		case f.Kind() == reflect.Bool:
			f.SetBool(true)
		}
	}
	old.Preloaded = false
	reused, _ := tb.Count(addr("10.0.2.1"), addr("10.0.2.2"), 60)
	want, _ := fresh.Count(addr("10.0.2.1"), addr("10.0.2.2"), 60)
	if reused != old {
		t.Fatal("the only slot was not reused")
	}
	g, w := reflect.ValueOf(reused).Elem(), reflect.ValueOf(want).Elem()
	for i := range g.NumField() {
		if f := g.Type().Field(i); f.IsExported() && !reflect.DeepEqual(g.Field(i).Interface(), w.Field(i).Interface()) {
			t.Errorf("reused slot: %s = %v, want %v", f.Name, g.Field(i), w.Field(i))
		}
	}
}
