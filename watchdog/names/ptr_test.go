package names_test

import (
	"context"
	"errors"
	"net/netip"
	"sync"
	"testing"
	"time"

	"ipband/watchdog/names"
)

// zone is a Lookuper answering from maps, counting its lookups.
type zone struct {
	mu      sync.Mutex
	ptr     map[string][]string
	fwd     map[string][]netip.Addr
	lookups int
}

var errNX = errors.New("no such host")

func (z *zone) LookupAddr(_ context.Context, addr string) ([]string, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	z.lookups++
	if n, ok := z.ptr[addr]; ok {
		return n, nil
	}
	return nil, errNX
}

func (z *zone) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if a, ok := z.fwd[host]; ok {
		return a, nil
	}
	return nil, errNX
}

// waitName asks r for a's name until it has one or the test's deadline
// nears; it returns the last answer.
func waitName(t *testing.T, r *names.Resolver, a netip.Addr, want string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got := r.Name(a)
		if got == want || time.Now().After(deadline) {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestResolverForwardConfirmed(t *testing.T) {
	z := &zone{
		ptr: map[string][]string{
			"192.0.2.10":   {"Mail.Example.COM."},
			"198.51.100.7": {"www.bank.example."}, // whose name resolves elsewhere
			"2001:db8::10": {"v6.example.net."},
		},
		fwd: map[string][]netip.Addr{
			"mail.example.com.": {netip.MustParseAddr("192.0.2.10")},
			"www.bank.example.": {netip.MustParseAddr("203.0.113.1")},
			"v6.example.net.":   {netip.MustParseAddr("2001:db8::10")},
		},
	}
	r := names.NewResolver(z)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	if got := r.Name(netip.MustParseAddr("192.0.2.10")); got != "" {
		t.Errorf("first Name = %q: it must not wait for the lookup", got)
	}
	if got := waitName(t, r, netip.MustParseAddr("192.0.2.10"), "mail.example.com"); got != "mail.example.com" {
		t.Errorf("Name(192.0.2.10) = %q", got)
	}
	if got := waitName(t, r, netip.MustParseAddr("2001:db8::10"), "v6.example.net"); got != "v6.example.net" {
		t.Errorf("Name(2001:db8::10) = %q", got)
	}
	// The unconfirmed name and the address with no PTR stay unnamed, and
	// are not looked up again within the cache's time: asked again, then
	// followed by a new address, the lookups are one per address (the
	// queue is in order, so a second lookup would come before the last).
	for _, a := range []string{"198.51.100.7", "203.0.113.9"} {
		r.Name(netip.MustParseAddr(a))
	}
	waitLookups(t, z, 4)
	for _, a := range []string{"198.51.100.7", "203.0.113.9"} {
		if got := r.Name(netip.MustParseAddr(a)); got != "" {
			t.Errorf("Name(%s) = %q, want none", a, got)
		}
	}
	r.Name(netip.MustParseAddr("203.0.113.200"))
	waitLookups(t, z, 5)
	time.Sleep(300 * time.Millisecond) // a few of the resolver's ticks
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.lookups != 5 {
		t.Errorf("%d reverse lookups of 5 addresses", z.lookups)
	}
}

// waitLookups waits until z has made n reverse lookups.
func waitLookups(t *testing.T, z *zone, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		z.mu.Lock()
		got := z.lookups
		z.mu.Unlock()
		if got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d lookups, waiting for %d", got, n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestResolverBounded: without its goroutine, the resolver's queue fills
// and Name still returns at once; requests past the queue are dropped.
func TestResolverBounded(t *testing.T) {
	z := &zone{}
	r := names.NewResolver(z)
	for i := range 1000 {
		if got := r.Name(netip.AddrFrom4([4]byte{198, 18, byte(i >> 8), byte(i)})); got != "" {
			t.Fatalf("Name = %q", got)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r.Run(ctx) //nolint:errcheck // nil
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.lookups > 256 {
		t.Errorf("%d lookups from a queue of 256", z.lookups)
	}
}
