package watchdog

import (
	"net/netip"
	"slices"

	"github.com/hashicorp/golang-lru/v2/simplelru"

	"ipband/report"
)

// connKey identifies a connection in a detail table: the lower address
// first, each with its own port, and the protocol. It is a fixed-size,
// comparable value: no strings on the hot path.
type connKey struct {
	lo, hi         netip.Addr
	loPort, hiPort uint16
	proto          uint8
}

// conn is one connection's tally.
type conn struct {
	bytes uint64
	seq   uint64 // first-seen order, for ties
}

// detail is the connection table of one subnet in detail logging, bounded
// to a number of connections: the least recently seen is evicted.
type detail struct {
	conns   *simplelru.LRU[connKey, *conn]
	seq     uint64
	hidden  report.Hidden
	evicted *uint64 // the engine's per-period eviction counter
}

func newDetail(max int, evicted *uint64) *detail {
	d := &detail{evicted: evicted}
	// NewLRU fails only for a size < 1, which Config validation excludes.
	d.conns, _ = simplelru.NewLRU[connKey, *conn](max, d.onEvict)
	return d
}

func (d *detail) onEvict(_ connKey, c *conn) {
	d.hidden.Conns++
	d.hidden.Bytes += c.bytes
	*d.evicted++
}

// key returns the connection key of p, lower address first; between equal
// addresses (loopback, a host talking to itself) the lower port first, so
// both directions of a connection share one key.
func key(p *Packet) connKey {
	if c := p.Dst.Compare(p.Src); c < 0 || c == 0 && p.DstPort < p.SrcPort {
		return connKey{lo: p.Dst, hi: p.Src, loPort: p.DstPort, hiPort: p.SrcPort, proto: p.Proto}
	}
	return connKey{lo: p.Src, hi: p.Dst, loPort: p.SrcPort, hiPort: p.DstPort, proto: p.Proto}
}

// add counts n bytes of p in its connection.
func (d *detail) add(p *Packet, n uint64) {
	k := key(p)
	if c, ok := d.conns.Get(k); ok {
		c.bytes += n
		return
	}
	d.seq++
	d.conns.Add(k, &conn{bytes: n, seq: d.seq})
}

// rows returns the connections sorted by bytes, descending, ties in
// first-seen order, cut to top (0 means all).
func (d *detail) rows(top int) []report.Row {
	keys := d.conns.Keys()
	type kc struct {
		k connKey
		c *conn
	}
	all := make([]kc, 0, len(keys))
	for _, k := range keys {
		c, _ := d.conns.Peek(k)
		all = append(all, kc{k, c})
	}
	slices.SortFunc(all, func(a, b kc) int {
		switch {
		case a.c.bytes != b.c.bytes:
			if a.c.bytes > b.c.bytes {
				return -1
			}
			return 1
		case a.c.seq < b.c.seq:
			return -1
		case a.c.seq > b.c.seq:
			return 1
		}
		return 0
	})
	if top > 0 && len(all) > top {
		all = all[:top]
	}
	rows := make([]report.Row, len(all))
	for i, x := range all {
		rows[i] = report.Row{
			Src: x.k.lo, Dst: x.k.hi,
			SrcPort: x.k.loPort, DstPort: x.k.hiPort,
			Proto: x.k.proto, Bytes: x.c.bytes,
		}
	}
	return rows
}
