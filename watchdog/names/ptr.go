package names

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Limits of reverse lookups (resolve ptr).
const (
	// PTRRate is how many reverse lookups a Resolver makes a second at most.
	PTRRate = 10
	// PTRCache is how many addresses a Resolver remembers (names and failures).
	PTRCache = 4096
	// PTRTTL is how long it remembers them.
	PTRTTL = time.Hour
	// ptrQueue bounds the addresses waiting for a lookup; past it a
	// request is dropped (the next report asks again).
	ptrQueue = 256
	// ptrTimeout bounds one lookup, forward confirmation included.
	ptrTimeout = 5 * time.Second
	// ptrNames bounds the PTR names of one address tried forward.
	ptrNames = 4
)

// Lookuper is the part of *net.Resolver a Resolver uses.
type Lookuper interface {
	LookupAddr(ctx context.Context, addr string) ([]string, error)
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Lookuper = (*net.Resolver)(nil)

// ptrEntry is what a PTR knows of an address: a confirmed name, "" for
// none, until exp; pending while its lookup waits or runs.
type ptrEntry struct {
	name    string
	exp     time.Time
	pending bool
}

// Resolver makes forward-confirmed reverse lookups on its own goroutine (Run),
// rate-limited, cached and bounded; Name never blocks. It is safe for
// concurrent use.
type Resolver struct {
	res   Lookuper
	now   func() time.Time
	reqs  chan netip.Addr
	mu    sync.Mutex
	cache *lru[netip.Addr, ptrEntry]
}

// NewResolver returns a Resolver that looks up through res (nil means
// net.DefaultResolver).
func NewResolver(res Lookuper) *Resolver {
	if res == nil {
		res = net.DefaultResolver
	}
	return &Resolver{res: res, now: time.Now, reqs: make(chan netip.Addr, ptrQueue), cache: newLRU[netip.Addr, ptrEntry](PTRCache)}
}

// Name returns the confirmed name of a when the Resolver has one; otherwise,
// unless a lookup of a is waiting or recent, it asks Run for one and
// returns "". It never blocks: with the queue full the request is dropped.
func (p *Resolver) Name(a netip.Addr) string {
	a = a.Unmap()
	if !a.IsValid() {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if e := p.cache.get(a); e != nil && (e.pending || p.now().Before(e.exp)) {
		return e.name
	}
	select {
	case p.reqs <- a:
		e, _ := p.cache.put(a)
		*e = ptrEntry{pending: true}
	default:
	}
	return ""
}

// Run looks up the addresses Name asks for, at most PTRRate a second,
// until ctx is done.
func (p *Resolver) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second / PTRRate)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case a := <-p.reqs:
			name := p.lookup(ctx, a)
			p.mu.Lock()
			e, _ := p.cache.put(a)
			*e = ptrEntry{name: name, exp: p.now().Add(PTRTTL)}
			p.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// lookup returns the first PTR name of a that resolves back to a, lower
// case without its final dot, or "".
func (p *Resolver) lookup(ctx context.Context, a netip.Addr) string {
	ctx, cancel := context.WithTimeout(ctx, ptrTimeout)
	defer cancel()
	names, err := p.res.LookupAddr(ctx, a.String())
	if err != nil {
		return ""
	}
	network := "ip4"
	if a.Is6() {
		network = "ip6"
	}
	for _, n := range names[:min(len(names), ptrNames)] {
		n = strings.ToLower(strings.TrimSuffix(n, "."))
		if validHost([]byte(n)) == nil {
			continue
		}
		addrs, err := p.res.LookupNetIP(ctx, network, n+".")
		if err != nil {
			continue
		}
		for i := range addrs {
			addrs[i] = addrs[i].Unmap()
		}
		if slices.Contains(addrs, a) {
			return n
		}
	}
	return ""
}
