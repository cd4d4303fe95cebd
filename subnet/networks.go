package subnet

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/netip"
	"os"
)

// DefaultNetworksPath is the system networks database.
const DefaultNetworksPath = "/etc/networks"

// Networks maps IPv4 network numbers to names, as getnetbyaddr does with
// /etc/networks. The zero value and a nil *Networks hold no names.
// A Networks is not changed after it is built and is safe for concurrent
// use.
type Networks struct {
	names   map[netip.Addr]string
	skipped int
}

// ParseNetworks reads a networks database: one network a line, `name
// number [aliases...]`, fields separated by blanks, `#` starting a comment
// that runs to the end of the line. The number is a dotted decimal IPv4
// network number, possibly abbreviated: "10.10.123" is 10.10.123.0 and
// "10" is 10.0.0.0. Octets are 0-255 with no leading zero (a leading zero
// reads as octal to some parsers). Aliases are ignored; when several lines
// share a number the first wins.
//
// The file belongs to the system, so a line that does not parse (too few
// fields, a bad or hexadecimal number, a line longer than 64 KiB) is
// skipped and counted (see Skipped) rather than rejected. ParseNetworks
// returns an error only when reading r fails.
func ParseNetworks(r io.Reader) (*Networks, error) {
	n := &Networks{names: make(map[netip.Addr]string)}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			n.skipped++
			if err = skipLine(br); err == nil {
				continue
			}
			line = nil
		}
		if len(line) > 0 {
			n.addLine(line)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return nil, fmt.Errorf("network names: %w", err)
		}
	}
}

// skipLine discards the rest of an over-long line, through its newline.
func skipLine(br *bufio.Reader) error {
	for {
		_, err := br.ReadSlice('\n')
		if !errors.Is(err, bufio.ErrBufferFull) {
			return err
		}
	}
}

// addLine records the network on one line, or counts the line as skipped.
func (n *Networks) addLine(line []byte) {
	if i := bytes.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	fields := bytes.Fields(line)
	if len(fields) == 0 {
		return
	}
	if len(fields) < 2 {
		n.skipped++
		return
	}
	a, ok := parseNetNumber(string(fields[1]))
	if !ok {
		n.skipped++
		return
	}
	if _, dup := n.names[a]; !dup {
		n.names[a] = string(fields[0])
	}
}

// parseNetNumber parses a dotted IPv4 network number of one to four
// octets, padding the missing low octets with zeros.
func parseNetNumber(s string) (netip.Addr, bool) {
	var b [4]byte
	i := 0
	for {
		end := 0
		for end < len(s) && s[end] != '.' {
			end++
		}
		v, ok := parseOctet(s[:end])
		if !ok || i == 4 {
			return netip.Addr{}, false
		}
		b[i] = v
		i++
		if end == len(s) {
			return netip.AddrFrom4(b), true
		}
		s = s[end+1:]
	}
}

// LoadNetworks reads the networks database at path (usually
// DefaultNetworksPath) with ParseNetworks. A missing file is not an error:
// it gives an empty Networks. A file that exists but cannot be read gives an
// error naming path.
func LoadNetworks(path string) (*Networks, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return &Networks{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("network names: %w", err)
	}
	defer f.Close()
	return ParseNetworks(f) // read errors from *os.File name the path
}

// Name returns the name of the network whose number is p.Addr(), or "" if
// there is none, p is not IPv4, or n is nil. The prefix length is not
// compared: 10.10.123.0/24 and 10.10.123.0/16 have the same name.
func (n *Networks) Name(p netip.Prefix) string {
	if n == nil || !p.Addr().Is4() {
		return ""
	}
	return n.names[p.Addr()]
}

// Skipped returns how many lines ParseNetworks skipped because they did not
// parse. It is 0 for a nil Networks.
func (n *Networks) Skipped() int {
	if n == nil {
		return 0
	}
	return n.skipped
}
