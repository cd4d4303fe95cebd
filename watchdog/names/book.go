package names

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"net/netip"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// Limits of passive DNS.
const (
	// MinTTL and MaxTTL clamp the TTL of an answer: a name is bound to an
	// address for at least a minute (clients keep using an address past a
	// short TTL) and at most a day.
	MinTTL = 60 * time.Second
	MaxTTL = 24 * time.Hour
	// QueryWindow is how long after a query its answer counts: later, or
	// with no query seen, an answer is ignored.
	QueryWindow = 5 * time.Second
	// pendingSlots is the size of the table of queries waiting for their
	// answer: a hashed table in which a new query takes the place of an
	// older one in its slot.
	pendingSlots = 1 << 12
	// namesPerEntry is how many names one client's entry for one address
	// keeps (shared hosting: several names, one address), the most
	// recently answered first.
	namesPerEntry = 4
	// maxChain bounds the names of a CNAME chain followed in one answer.
	maxChain = 8
)

// Source says how a name is known.
type Source uint8

// The sources of a name, in the words reports use.
const (
	None          Source = iota
	DNS                  // "dns": a DNS answer to the client
	SNIConfirmed         // "sni, confirmed": TLS server_name, and the client's DNS mapped it to the address
	SNIClaimed           // "sni, claimed": TLS server_name alone
	HostConfirmed        // "http, confirmed": HTTP Host, confirmed by the client's DNS
	HostClaimed          // "http, claimed": HTTP Host alone
	PTR                  // "ptr": a forward-confirmed reverse lookup
)

var sourceNames = [...]string{"", "dns", "sni, confirmed", "sni, claimed", "http, confirmed", "http, claimed", "ptr"}

// String returns the source as reports show it ("dns", "sni, claimed"),
// "" for None.
func (s Source) String() string {
	if int(s) < len(sourceNames) {
		return sourceNames[s]
	}
	return ""
}

// Stats count what a Book did with the DNS messages it was given.
type Stats struct {
	// Answers counts answers matched to their query and used.
	Answers uint64
	// Ignored counts answers with no matching query from that client
	// (unsolicited, spoofed, mismatched or late).
	Ignored uint64
	// Malformed counts DNS messages that did not parse.
	Malformed uint64
	// Evicted counts names and claims evicted from their bounded tables.
	Evicted uint64
}

// pair is a client and the address it talks to.
type pair struct {
	client, remote netip.Addr
}

// binding is one name bound to an address for a client, until exp (Unix
// ns).
type binding struct {
	name string
	exp  int64
}

// entry holds the names one client's DNS bound to one address.
type entry [namesPerEntry]binding

// claim is the latest name a client claimed for a server.
type claim struct {
	name string
	src  Source // SNIClaimed or HostClaimed
	t    int64
}

// query is a DNS query waiting for its answer.
type query struct {
	client, server netip.Addr
	cport, sport   uint16
	id             uint16
	proto          uint8
	qhash          uint64
	t              int64
}

// Book keeps the names learned from the traffic, bounded: max entries of
// passive DNS (one per client and address, each with up to 4 names) and
// max claims. It is not safe for concurrent use: the capture goroutine
// feeds it and asks it.
type Book struct {
	cache   *lru[pair, entry]
	claims  *lru[pair, claim]
	pending []query
	seed    [4]uint64
	stats   Stats
	parser  dnsmessage.Parser
	buf     [256]byte // a name, lower-cased
	qbuf    [256]byte // the question's name, lower-cased
}

// NewBook returns a Book of at most max entries of each kind (namecache),
// max >= 1.
func NewBook(max int) *Book {
	b := &Book{
		cache:   newLRU[pair, entry](max),
		claims:  newLRU[pair, claim](max),
		pending: make([]query, pendingSlots),
	}
	for i := range b.seed {
		b.seed[i] = rand.Uint64()
	}
	return b
}

// TakeStats returns the counters since the last call and resets them.
func (b *Book) TakeStats() Stats {
	s := b.stats
	s.Evicted = b.cache.evicted + b.claims.evicted
	b.cache.evicted, b.claims.evicted = 0, 0
	b.stats = Stats{}
	return s
}

// Len returns the number of passive DNS entries and of claims.
func (b *Book) Len() (dns, claims int) { return b.cache.len(), b.claims.len() }

// DNS reads the DNS message in payload, the transport payload of a packet
// from src:sport to dst:dport at time t (Unix ns) over proto (6 TCP, 17
// UDP); one of the ports is 53. A query is remembered; an answer that
// matches a query seen from dst (the same ID, question, addresses and
// ports, within QueryWindow) binds the addresses it gives for the name
// asked, through its CNAME chain, to dst for their TTL. Other answers are
// counted as ignored. Over TCP only a segment holding a whole message is
// read.
func (b *Book) DNS(t int64, proto uint8, src, dst netip.Addr, sport, dport uint16, payload []byte) {
	if proto == 6 {
		if len(payload) < 2 {
			return // a bare ACK, a FIN
		}
		n := int(binary.BigEndian.Uint16(payload))
		if n+2 != len(payload) {
			return // part of a message, or several: not read
		}
		payload = payload[2:]
	} else if proto != 17 {
		return
	}
	p := &b.parser
	h, err := p.Start(payload)
	if err != nil {
		b.stats.Malformed++
		return
	}
	q, err := p.Question()
	if err != nil {
		if h.Response {
			b.stats.Ignored++ // a response with no question answers nothing we asked
		} else if err != dnsmessage.ErrSectionDone {
			b.stats.Malformed++
		}
		return
	}
	qh := b.nameHash(&q.Name) ^ uint64(q.Type)<<48 ^ uint64(q.Class)<<32
	if !h.Response {
		if dport != 53 {
			return
		}
		i := b.slot(src, dst, sport, dport, h.ID)
		b.pending[i] = query{client: src, server: dst, cport: sport, sport: dport, id: h.ID, proto: proto, qhash: qh, t: t}
		return
	}
	if sport != 53 {
		b.stats.Ignored++
		return
	}
	i := b.slot(dst, src, dport, sport, h.ID)
	w := &b.pending[i]
	if w.client != dst || w.server != src || w.cport != dport || w.sport != sport || w.id != h.ID ||
		w.proto != proto || w.qhash != qh || t < w.t || t-w.t > int64(QueryWindow) {
		b.stats.Ignored++
		return
	}
	*w = query{}
	b.stats.Answers++
	if h.RCode != dnsmessage.RCodeSuccess || (q.Type != dnsmessage.TypeA && q.Type != dnsmessage.TypeAAAA) {
		return
	}
	if err := p.SkipAllQuestions(); err != nil {
		b.stats.Malformed++
		return
	}
	b.answers(t, dst, &q.Name)
}

// answers binds the A and AAAA records of the answer section whose owner
// is qname or a name of its CNAME chain to client, under qname.
func (b *Book) answers(t int64, client netip.Addr, qname *dnsmessage.Name) {
	p := &b.parser
	var (
		chain [maxChain]uint64
		n     = 1
		name  = b.qbuf[:copy(b.qbuf[:], b.lower(qname))]
	)
	chain[0] = b.hashBytes(name)
	if len(name) == 0 {
		return // the root: no name to show
	}
	for {
		rh, err := p.AnswerHeader()
		if err == dnsmessage.ErrSectionDone {
			return
		}
		if err != nil {
			b.stats.Malformed++
			return
		}
		oh := b.nameHash(&rh.Name)
		in := false
		for _, c := range chain[:n] {
			in = in || c == oh
		}
		if !in || rh.Class != dnsmessage.ClassINET {
			if err := p.SkipAnswer(); err != nil {
				b.stats.Malformed++
				return
			}
			continue
		}
		var addr netip.Addr
		switch rh.Type {
		case dnsmessage.TypeCNAME:
			r, err := p.CNAMEResource()
			if err != nil {
				b.stats.Malformed++
				return
			}
			if n < maxChain {
				chain[n] = b.nameHash(&r.CNAME)
				n++
			}
			continue
		case dnsmessage.TypeA:
			r, err := p.AResource()
			if err != nil {
				b.stats.Malformed++
				return
			}
			addr = netip.AddrFrom4(r.A)
		case dnsmessage.TypeAAAA:
			r, err := p.AAAAResource()
			if err != nil {
				b.stats.Malformed++
				return
			}
			addr = netip.AddrFrom16(r.AAAA).Unmap()
		default:
			if err := p.SkipAnswer(); err != nil {
				b.stats.Malformed++
				return
			}
			continue
		}
		ttl := min(max(time.Duration(rh.TTL)*time.Second, MinTTL), MaxTTL)
		b.bind(pair{client, addr}, name, t+int64(ttl))
	}
}

// bind binds name to k's address for k's client until exp. A name the
// entry already has is moved to the front without allocating.
func (b *Book) bind(k pair, name []byte, exp int64) {
	e, _ := b.cache.put(k)
	j := len(e) - 1
	s := ""
	for i, x := range e {
		if x.name == string(name) {
			j, s = i, x.name
			break
		}
	}
	if s == "" {
		s = string(name)
	}
	copy(e[1:j+1], e[:j])
	e[0] = binding{name: s, exp: exp}
}

// lower returns n lower-cased without its final dot, in b.buf; bytes that
// are not printable ASCII become '?'.
func (b *Book) lower(n *dnsmessage.Name) []byte {
	d := n.Data[:n.Length]
	if len(d) > 0 && d[len(d)-1] == '.' {
		d = d[:len(d)-1]
	}
	out := b.buf[:len(d)]
	for i, c := range d {
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c <= ' ' || c >= 0x7f:
			c = '?'
		}
		out[i] = c
	}
	return out
}

// nameHash hashes n, lower-cased, with the Book's seed.
func (b *Book) nameHash(n *dnsmessage.Name) uint64 {
	return b.hashBytes(b.lower(n))
}

func (b *Book) hashBytes(d []byte) uint64 {
	h := b.seed[0] ^ uint64(len(d))
	for len(d) >= 8 {
		h = mix(h^binary.LittleEndian.Uint64(d), b.seed[1])
		d = d[8:]
	}
	var last [8]byte
	copy(last[:], d)
	return mix(h^binary.LittleEndian.Uint64(last[:]), b.seed[2])
}

// slot returns the pending table slot of a query.
func (b *Book) slot(client, server netip.Addr, cport, sport, id uint16) int {
	c, s := client.As16(), server.As16()
	h := mix(binary.LittleEndian.Uint64(c[:8])^b.seed[0], binary.LittleEndian.Uint64(c[8:])^b.seed[1])
	h = mix(h^binary.LittleEndian.Uint64(s[:8]), binary.LittleEndian.Uint64(s[8:])^b.seed[2])
	h = mix(h^(uint64(cport)<<32|uint64(sport)<<16|uint64(id)), b.seed[3])
	return int(h & (pendingSlots - 1))
}

// mix folds the 128-bit product of a and b.
func mix(a, b uint64) uint64 {
	hi, lo := bits.Mul64(a, b|1)
	return hi ^ lo
}

// Name returns the name of remote as client knows it, and its source: a
// claim (TLS server_name or HTTP Host) made since episode (Unix ns) and
// confirmed by client's DNS; else the latest name client's DNS bound to
// remote that was still valid at since; else the claim alone. It returns
// "" and None when there is none.
func (b *Book) Name(client, remote netip.Addr, episode, since int64) (string, Source) {
	k := pair{client, remote}
	c := b.claims.get(k)
	if c != nil && c.t < episode {
		c = nil
	}
	e := b.cache.get(k)
	if c != nil && e != nil {
		for _, x := range e {
			if x.name == c.name && x.exp >= c.t {
				return c.name, c.src - 1 // the confirmed kind
			}
		}
	}
	if e != nil {
		for _, x := range e {
			if x.name != "" && x.exp >= since {
				return x.name, DNS
			}
		}
	}
	if c != nil {
		return c.name, c.src
	}
	return "", None
}
