package conf

import (
	"fmt"
	"math"
	"net/netip"
	"time"
)

// Preload is one preloaded subnet as the engine tracks it: the masked
// prefix of a subnet line and its threshold.
type Preload struct {
	Prefix    netip.Prefix // masked: Prefix == Prefix.Masked()
	Threshold float64      // kBytes/s, the default threshold when the line gave none
	Line      int          // line of the subnet line that set it, 0 when not from a file
}

// Preloaded returns the preloaded subnets in config order, which is the
// display order. Each SubnetSpec is masked to its own prefix length, or
// to MaskBits (IPv4) or MaskBits6 (IPv6) when it gave none; a threshold
// of 0 becomes Bandwidth. When several specs mask to the same prefix the
// last one wins but keeps the place of the first. A spec with an invalid
// address or prefix length (possible only when Subnets was changed
// directly, and reported by Validate) is left out. Preloaded returns nil
// when there are no subnet lines: dynamic mode.
func (c *Config) Preloaded() []Preload {
	if len(c.Subnets) == 0 {
		return nil
	}
	out := make([]Preload, 0, len(c.Subnets))
	at := make(map[netip.Prefix]int, len(c.Subnets))
	for _, s := range c.Subnets {
		p, ok := c.prefix(s)
		if !ok {
			continue
		}
		th := s.Bandwidth
		if !(th > 0) {
			th = c.Bandwidth
		}
		pl := Preload{Prefix: p, Threshold: th, Line: s.Line}
		if i, ok := at[p]; ok {
			out[i] = pl
			continue
		}
		at[p] = len(out)
		out = append(out, pl)
	}
	return out
}

// prefix masks the address of s.
func (c *Config) prefix(s SubnetSpec) (netip.Prefix, bool) {
	bits := s.Bits
	if bits < 0 {
		bits = c.MaskBits
		if s.Addr.Is6() {
			bits = c.MaskBits6
		}
	}
	if !s.Addr.IsValid() || s.Addr.Zone() != "" || s.Bits < -1 {
		return netip.Prefix{}, false
	}
	p, err := s.Addr.Prefix(bits)
	return p, err == nil
}

// Validate checks the configuration once the file and the flags have been
// applied. Set already checks each value, so Validate only catches fields
// changed directly: every numeric field within the range Set allows
// (including whole-second periods) and every subnet line with a valid
// address and prefix length. It deliberately allows a report period
// shorter than the averaging period (a report then comes at the first
// period after logging starts, as in the classic tool); lenadj is checked
// against the link type once the capture is open, not here.
func (c *Config) Validate() error {
	checks := []struct {
		key string
		ok  bool
		val any
	}{
		{"debug", c.Debug >= 0 && c.Debug <= 3, c.Debug},
		{"bandwidth", c.Bandwidth > 0 && !math.IsInf(c.Bandwidth, 1), c.Bandwidth},
		{"average", period(c.Average), c.Average},
		{"report", period(c.Report), c.Report},
		{"lenadj", c.LenAdj >= -MaxLenAdj && c.LenAdj <= MaxLenAdj, c.LenAdj},
		{"top", c.Top >= 0, c.Top},
		{"maskbits", c.MaskBits >= 1 && c.MaskBits <= 32, c.MaskBits},
		{"maskbits6", c.MaskBits6 >= 1 && c.MaskBits6 <= 128, c.MaskBits6},
		{"maxsubnets", c.MaxSubnets >= 1, c.MaxSubnets},
		{"maxconns", c.MaxConns >= 1, c.MaxConns},
		{"maxconnstotal", c.MaxConnsTotal >= 1, c.MaxConnsTotal},
	}
	for _, ch := range checks {
		if !ch.ok {
			return fmt.Errorf("%s: %v: %w", ch.key, ch.val, ErrOutOfRange)
		}
	}
	for _, s := range c.Subnets {
		if _, ok := c.prefix(s); !ok || s.Bandwidth < 0 || math.IsInf(s.Bandwidth, 1) || math.IsNaN(s.Bandwidth) {
			return fmt.Errorf("subnet at line %d: %v/%d bandwidth %v: %w", s.Line, s.Addr, s.Bits, s.Bandwidth, ErrInvalidValue)
		}
	}
	return nil
}

// period reports whether d is a whole number of seconds, 1s to MaxPeriod.
func period(d time.Duration) bool {
	return d >= time.Second && d <= MaxPeriod && d%time.Second == 0
}
