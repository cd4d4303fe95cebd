package conf

import (
	"fmt"
	"net/netip"
	"time"
)

// Preload is one preloaded subnet as the engine tracks it: the masked
// prefix of a subnet line and its threshold.
type Preload struct {
	Prefix    netip.Prefix // masked: Prefix == Prefix.Masked()
	Threshold float64      // kBytes/s, the default threshold when the line gave none
	In, Out   float64      // thresholds per direction in kBytes/s, 0 for none
	Capacity  float64      // link capacity per direction in kBytes/s, 0 when not given
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
		pl := Preload{Prefix: p, Threshold: th, In: s.In, Out: s.Out, Capacity: s.Capacity, Line: s.Line}
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
// applied. Set already checks each value, so Validate first catches fields
// changed directly, with the ranges Set uses: every numeric field in range
// (periods in whole seconds), no forbidden characters in text, valid mail
// addresses, and every subnet line with a valid address and prefix
// length. Then it checks values that only conflict together: a reporting
// period shorter than the averaging period is ErrConflict (the classic
// tool refused it too), naming where each came from (see Origin). lenadj
// is checked against the link type once the capture is open, not here.
func (c *Config) Validate() error {
	for _, d := range directives {
		if err := d.field(c).check(); err != nil {
			return fmt.Errorf("%s: %w", d.name, err)
		}
	}
	if c.Report < c.Average {
		return fmt.Errorf("%w: report %d (%s) is shorter than average %d (%s): the reporting period cannot be less than the averaging period",
			ErrConflict, c.Report/time.Second, c.Origin("report"), c.Average/time.Second, c.Origin("average"))
	}
	return nil
}
