package report

import (
	"bytes"
	_ "embed" // services.txt and protocols.txt
	"os"
	"strconv"
	"sync"
)

//go:generate go run gennames.go

// Protocol numbers of the two protocols that have service names.
const (
	protoTCP = 6
	protoUDP = 17
)

// The embedded tables: the tcp/udp service names and the protocol names of
// a Debian netbase install, one "name port/proto" or "name number" entry a
// line. They make reports identical on machines without /etc/services.
var (
	//go:embed services.txt
	embeddedServices []byte
	//go:embed protocols.txt
	embeddedProtocols []byte
)

// nameTable is one parsed services and protocols database.
type nameTable struct {
	services  map[uint32]string // serviceKey(port, proto) -> first name
	protocols [256]string       // "" when unnamed
}

// embedded is the parsed embedded table, shared by every Names.
var embedded = sync.OnceValue(func() *nameTable {
	t := &nameTable{services: parseServices(embeddedServices)}
	t.protocols = parseProtocols(embeddedProtocols)
	return t
})

// Names maps port numbers to service names and protocol numbers to protocol
// names, the way the classic report prints them. Its tables are read on
// first use; a Names is safe for concurrent use. The zero Names and a nil
// *Names use the embedded tables, as EmbeddedNames() does.
type Names struct {
	servicesPath, protocolsPath string // "" for the embedded table only

	once   sync.Once
	system *nameTable  // entries read from the system files, or nil
	protos [256]string // protocol names, the number as decimal if unnamed
}

// EmbeddedNames returns the names of the embedded tables (tcp/udp service
// names and protocol names as in Debian's netbase). They are parsed once,
// on first use.
func EmbeddedNames() *Names {
	return &Names{}
}

// SystemNames returns the names of the given services and protocols
// databases (normally /etc/services and /etc/protocols), read on first
// use. Any entry missing there, and every entry of a missing or unreadable
// file, comes from the embedded table instead, so reports are the same on
// machines without those files. An empty path means the embedded table
// only.
func SystemNames(servicesPath, protocolsPath string) *Names {
	return &Names{servicesPath: servicesPath, protocolsPath: protocolsPath}
}

// load reads the tables once.
func (n *Names) load() {
	n.once.Do(func() {
		emb := embedded()
		sys := &nameTable{}
		if n.servicesPath != "" {
			if b, err := os.ReadFile(n.servicesPath); err == nil {
				sys.services = parseServices(b)
			}
		}
		if n.protocolsPath != "" {
			if b, err := os.ReadFile(n.protocolsPath); err == nil {
				sys.protocols = parseProtocols(b)
			}
		}
		if len(sys.services) > 0 {
			n.system = sys
		}
		for i := range n.protos {
			switch {
			case sys.protocols[i] != "":
				n.protos[i] = sys.protocols[i]
			case emb.protocols[i] != "":
				n.protos[i] = emb.protocols[i]
			default:
				n.protos[i] = strconv.Itoa(i)
			}
		}
	})
}

// Service returns the service name of port for protocol proto: tcp (6) and
// udp (17) only. It returns "" for other protocols and unnamed ports.
func (n *Names) Service(port uint16, proto uint8) string {
	if proto != protoTCP && proto != protoUDP {
		return ""
	}
	if n == nil {
		n = nilNames()
	}
	n.load()
	k := serviceKey(port, proto)
	if n.system != nil {
		if s, ok := n.system.services[k]; ok {
			return s
		}
	}
	return embedded().services[k]
}

// RowService returns the service name of a report row: the name of its
// source port if it has one, else that of its destination port. It returns
// "" for protocols other than tcp and udp and when neither port is named.
func (n *Names) RowService(r Row) string {
	if s := n.Service(r.SrcPort, r.Proto); s != "" {
		return s
	}
	return n.Service(r.DstPort, r.Proto)
}

// Protocol returns the protocols-database name of proto ("icmp", "tcp",
// "udp", "gre", "ipv6-icmp", ...), or the number in decimal when it has
// none.
func (n *Names) Protocol(proto uint8) string {
	if n == nil {
		n = nilNames()
	}
	n.load()
	return n.protos[proto]
}

// nilNames is the Names a nil *Names stands for.
var nilNames = sync.OnceValue(EmbeddedNames)

func serviceKey(port uint16, proto uint8) uint32 {
	return uint32(port)<<8 | uint32(proto)
}

// fields splits a database line into its fields, dropping the comment that
// starts at '#'.
func fields(line []byte) [][]byte {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	return bytes.Fields(line)
}

// lines calls fn for each line of b, without its newline.
func lines(b []byte, fn func(line []byte)) {
	for len(b) > 0 {
		line := b
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		fn(line)
	}
}

// parseServices parses a services database ("name port/proto aliases...
// # comment" lines), keeping the first name of each tcp or udp port.
// Malformed lines are skipped.
func parseServices(b []byte) map[uint32]string {
	m := make(map[uint32]string)
	lines(b, func(line []byte) {
		fs := fields(line)
		if len(fs) < 2 {
			return
		}
		portText, protoText, ok := bytes.Cut(fs[1], []byte("/"))
		if !ok {
			return
		}
		var proto uint8
		switch string(protoText) {
		case "tcp":
			proto = protoTCP
		case "udp":
			proto = protoUDP
		default:
			return
		}
		port, err := strconv.ParseUint(string(portText), 10, 16)
		if err != nil {
			return
		}
		k := serviceKey(uint16(port), proto)
		if _, dup := m[k]; !dup {
			m[k] = string(fs[0])
		}
	})
	return m
}

// parseProtocols parses a protocols database ("name number aliases...
// # comment" lines), keeping the first name of each number 0-255.
// Malformed lines are skipped.
func parseProtocols(b []byte) [256]string {
	var t [256]string
	lines(b, func(line []byte) {
		fs := fields(line)
		if len(fs) < 2 {
			return
		}
		num, err := strconv.ParseUint(string(fs[1]), 10, 8)
		if err != nil || t[num] != "" {
			return
		}
		t[num] = string(fs[0])
	})
	return t
}
