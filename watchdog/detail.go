package watchdog

import (
	"encoding/binary"
	"math"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"slices"

	"ipband/report"
	"ipband/subnet/index"
)

// connKey identifies a connection in a detail table: the lower address
// first, each with its own port, and the protocol. It is a fixed-size,
// comparable value with no pointers: the addresses as 16 bytes (see store),
// and their families in fam. A packet's addresses have no zone (the
// decoder never sets one).
type connKey struct {
	lo, hi         [16]byte
	loPort, hiPort uint16
	proto          uint8
	fam            uint8 // famInvalid, famV4 or famV6 of lo, and of hi << 2
}

// Address families in connKey.fam.
const (
	famInvalid = 0
	famV4      = 1
	famV6      = 2
)

func family(a netip.Addr) uint8 {
	switch {
	case a.Is4():
		return famV4
	case a.Is6():
		return famV6
	}
	return famInvalid
}

// address returns the address stored as b with family f.
func address(b [16]byte, f uint8) netip.Addr {
	switch f & 3 {
	case famV4:
		return netip.AddrFrom4([4]byte(b[12:]))
	case famV6:
		return netip.AddrFrom16(b)
	}
	return netip.Addr{}
}

// key returns the connection key of p, lower address first; between equal
// addresses (loopback, a host talking to itself) the lower port first, so
// both directions of a connection share one key. IPv4 addresses are kept in
// the last 4 bytes of their 16.
func key(p *Packet) connKey {
	if p.Src.Is4() && p.Dst.Is4() { // the order of Addr.Compare within IPv4
		s, d := p.Src.As4(), p.Dst.As4()
		src, dst := binary.BigEndian.Uint32(s[:]), binary.BigEndian.Uint32(d[:])
		k := connKey{loPort: p.SrcPort, hiPort: p.DstPort, proto: p.Proto, fam: famV4 | famV4<<2}
		if dst < src || dst == src && p.DstPort < p.SrcPort {
			src, dst = dst, src
			k.loPort, k.hiPort = p.DstPort, p.SrcPort
		}
		binary.BigEndian.PutUint32(k.lo[12:], src)
		binary.BigEndian.PutUint32(k.hi[12:], dst)
		return k
	}
	lo, hi, loPort, hiPort := p.Src, p.Dst, p.SrcPort, p.DstPort
	if c := p.Dst.Compare(p.Src); c < 0 || c == 0 && p.DstPort < p.SrcPort {
		lo, hi, loPort, hiPort = p.Dst, p.Src, p.DstPort, p.SrcPort
	}
	k := connKey{loPort: loPort, hiPort: hiPort, proto: p.Proto, fam: family(lo) | family(hi)<<2}
	k.lo, k.hi = store(lo), store(hi)
	return k
}

// store returns the 16 bytes that keep a in a connKey.
func store(a netip.Addr) [16]byte {
	if a.Is4() {
		var b [16]byte
		v := a.As4()
		copy(b[12:], v[:])
		return b
	}
	return a.As16()
}

// conn is one connection's tally in a detail table's arena: 64 bytes with
// no pointers, one cache line for all that a lookup, an update or an
// eviction touches.
type conn struct {
	prev, next int32 // arena indices of the recency list
	bytes      uint64
	seq        uint64 // first-seen order, for ties
	key        connKey
}

// detail is the connection table of one subnet in detail logging, bounded
// to a number of connections: the least recently seen is evicted, and its
// conn reused for the new one; past the cap of all tables together (pool),
// the pool evicts a conn of any table. The conns live in one arena, conns[0]
// being the sentinel of the recency list (conns[0].next is the most
// recent), and an index finds them by key.
type detail struct {
	conns   []conn
	index   index.Map[int32] // arena indices by key hash
	seed    connSeed
	max     int // conns beside the sentinel
	seq     uint64
	hidden  report.Hidden
	evicted *uint64   // the engine's per-period eviction counter
	pool    *connPool // the cap on all tables' connections, or nil
	at      int       // d's place in pool.tables
	timed   bool      // a worker's table: seq is the first-seen packet time (Group.rows)

	// The episode: when it began (the end of the period that crossed the
	// threshold), when it was last reported (or began), the exceeded time
	// reported so far (ns), and the engine's totals of subnets evicted and
	// frames dropped when it began, so that its reports count those of the
	// episode.
	episode, since, exceeded int64
	evicted0, dropped0       uint64
}

// maxConns bounds the conns of one detail table, whose arena indices are
// int32: a cap beyond it (2^31 - 2 connections, 128 GiB) is taken as it.
const maxConns = math.MaxInt32 - 1

func newDetail(max int, evicted *uint64, pool *connPool) *detail {
	d := &detail{max: min(max, maxConns), evicted: evicted}
	d.conns = make([]conn, 1, 16)
	d.index.Init()
	d.seed = newConnSeed()
	if pool != nil {
		pool.join(d)
	}
	return d
}

// add counts n bytes of p in its connection.
func (d *detail) add(p *Packet, n uint64) {
	k := key(p)
	h := d.seed.hash(&k)
	if i := d.index.Get(h, func(i int32) bool { return d.conns[i].key == k }); i != 0 {
		c := &d.conns[i]
		c.bytes += n
		if d.conns[0].next != i {
			d.unlink(i)
			d.pushFront(i)
		}
		return
	}
	d.seq++
	if d.timed {
		d.seq = uint64(p.Time)
	}
	var i int32
	if len(d.conns)-1 >= d.max {
		i = d.conns[0].prev
		d.unlink(i)
		c := &d.conns[i]
		d.index.Delete(d.seed.hash(&c.key), i)
		d.hide(c)
	} else {
		if d.pool != nil {
			d.pool.reserve()
		}
		i = d.newConn()
	}
	d.conns[i] = conn{bytes: n, seq: d.seq, key: k}
	d.index.Put(h, i)
	d.pushFront(i)
}

// newConn adds a conn to the arena, growing it by doubling up to the cap,
// and returns its index.
func (d *detail) newConn() int32 {
	if len(d.conns) == cap(d.conns) {
		grown := make([]conn, len(d.conns), min(2*cap(d.conns), d.max+1))
		copy(grown, d.conns)
		d.conns = grown
	}
	d.conns = d.conns[:len(d.conns)+1]
	return int32(len(d.conns) - 1)
}

// hide counts the evicted conn c in the table's hidden connections and in
// the period's evictions.
func (d *detail) hide(c *conn) {
	d.hidden.Conns++
	d.hidden.Bytes += c.bytes
	*d.evicted++
}

// remove evicts conn i, moving the last conn of the arena into its place.
func (d *detail) remove(i int32) {
	c := &d.conns[i]
	d.hide(c)
	d.unlink(i)
	d.index.Delete(d.seed.hash(&c.key), i)
	last := int32(len(d.conns) - 1)
	if i != last {
		m := &d.conns[last]
		d.index.Replace(d.seed.hash(&m.key), last, i)
		d.conns[m.prev].next = i
		d.conns[m.next].prev = i
		d.conns[i] = *m
	}
	d.conns = d.conns[:last]
}

func (d *detail) pushFront(i int32) {
	head := &d.conns[0]
	c := &d.conns[i]
	c.prev, c.next = 0, head.next
	d.conns[head.next].prev = i
	head.next = i
}

func (d *detail) unlink(i int32) {
	c := &d.conns[i]
	d.conns[c.prev].next = c.next
	d.conns[c.next].prev = c.prev
}

// rows returns the connections sorted by bytes, descending, ties in
// first-seen order, cut to top (0 means all).
func (d *detail) rows(top int) []report.Row {
	all := make([]byBytes, len(d.conns)-1, 2*(len(d.conns)-1))
	for i := range all {
		c := &d.conns[i+1]
		all[i] = byBytes{c.bytes, c.seq, int32(i + 1)}
	}
	all = sortByBytes(all, all[len(all):cap(all)])
	if top > 0 && len(all) > top {
		all = all[:top]
	}
	rows := make([]report.Row, len(all))
	for j, x := range all {
		c := &d.conns[x.conn]
		rows[j] = report.Row{
			Src: address(c.key.lo, c.key.fam), Dst: address(c.key.hi, c.key.fam>>2),
			SrcPort: c.key.loPort, DstPort: c.key.hiPort,
			Proto: c.key.proto, Bytes: c.bytes,
		}
	}
	return rows
}

// byBytes is the sort key of a conn in a report.
type byBytes struct {
	bytes, seq uint64
	conn       int32
}

// sortByBytes sorts xs by bytes, descending, then seq, ascending, using
// tmp (as long as xs) as scratch, and returns the sorted slice (xs or
// tmp). It is an LSD radix sort on the 16 bytes of (^bytes, seq) that
// skips the bytes equal in every key: a few passes over the slice instead
// of a comparison sort's n log n calls. seq is unique, so the order is
// total.
func sortByBytes(xs, tmp []byBytes) []byBytes {
	if len(xs) < 2 {
		return xs
	}
	digit := func(x *byBytes, d int) byte {
		if d < 8 {
			return byte(x.seq >> (8 * d))
		}
		return byte(^x.bytes >> (8 * (d - 8)))
	}
	var counts [16][256]int
	for i := range xs {
		x := &xs[i]
		for d := range 8 {
			counts[d][byte(x.seq>>(8*d))]++
			counts[8+d][byte(^x.bytes>>(8*d))]++
		}
	}
	for d := range counts {
		c := &counts[d]
		if c[digit(&xs[0], d)] == len(xs) {
			continue // the same in every key
		}
		pos := 0
		for b, n := range c {
			c[b] = pos
			pos += n
		}
		for i := range xs {
			k := digit(&xs[i], d)
			tmp[c[k]] = xs[i]
			c[k]++
		}
		xs, tmp = tmp, xs
	}
	return xs
}

// connSeed seeds the hash of a detail table's connection keys, at random
// per table, so that keys chosen to collide cannot be found offline.
type connSeed [6]uint64

func newConnSeed() (s connSeed) {
	for i := range s {
		s[i] = rand.Uint64()
	}
	return s
}

// mix folds the 128-bit product of a and b.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	return hi ^ lo
}

// hash hashes k. IPv4 keys, nearly all of them, take one multiplication.
func (x *connSeed) hash(k *connKey) uint64 {
	w := uint64(k.loPort)<<32 | uint64(k.hiPort)<<16 | uint64(k.proto)<<8 | uint64(k.fam)
	if k.fam == famV4|famV4<<2 {
		v := uint64(binary.BigEndian.Uint32(k.lo[12:]))<<32 | uint64(binary.BigEndian.Uint32(k.hi[12:]))
		return mix(v^x[0], w^x[1])
	}
	return mix(
		mix(binary.LittleEndian.Uint64(k.lo[:8])^x[0], binary.LittleEndian.Uint64(k.lo[8:])^x[1])^w^x[4],
		mix(binary.LittleEndian.Uint64(k.hi[:8])^x[2], binary.LittleEndian.Uint64(k.hi[8:])^x[3])^x[5])
}

// connPool caps the connections of all detail tables together
// (maxconnstotal). When a table would go past the cap, the pool evicts the
// connection with the fewest bytes among poolSamples drawn at random from
// all tables, counted in the hidden connections of the table it leaves.
type connPool struct {
	max, n int       // the cap, and the connections in all tables
	tables []*detail // the tables of the subnets in detail logging
}

// poolSamples is how many connections the pool compares to pick one to
// evict.
const poolSamples = 8

// join adds d, new and empty, to the pool.
func (p *connPool) join(d *detail) {
	d.pool, d.at = p, len(p.tables)
	p.tables = append(p.tables, d)
}

// leave takes d, whose subnet stopped logging, out of the pool.
func (p *connPool) leave(d *detail) {
	p.n -= len(d.conns) - 1
	last := p.tables[len(p.tables)-1]
	p.tables[d.at], last.at = last, d.at
	p.tables[len(p.tables)-1] = nil
	p.tables = p.tables[:len(p.tables)-1]
	d.pool = nil
}

// reserve makes room for one more connection, evicting one when the pool is
// full.
func (p *connPool) reserve() {
	if p.n >= p.max {
		p.evict()
	}
	p.n++
}

// evict evicts the connection with the fewest bytes of poolSamples
// distinct ones drawn at random: a table, then one of its conns. Distinct,
// so that the one connection of a small table is not the only candidate
// when it is drawn again and again.
func (p *connPool) evict() {
	type pick struct {
		d *detail
		i int32
	}
	var seen [poolSamples]pick
	found := 0
	for tries := 0; found < poolSamples && tries < 8*poolSamples; tries++ {
		d := p.tables[rand.IntN(len(p.tables))]
		if len(d.conns) < 2 {
			continue
		}
		c := pick{d, int32(1 + rand.IntN(len(d.conns)-1))}
		if !slices.Contains(seen[:found], c) {
			seen[found] = c
			found++
		}
	}
	var v pick
	for _, c := range seen[:found] {
		if v.d == nil || c.d.conns[c.i].bytes < v.d.conns[v.i].bytes {
			v = c
		}
	}
	if v.d == nil { // the connections are in a few of many tables
		for _, d := range p.tables {
			if len(d.conns) > 1 {
				v = pick{d, d.conns[0].prev}
				break
			}
		}
	}
	if v.d != nil {
		v.d.remove(v.i)
		p.n--
	}
}
