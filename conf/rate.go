package conf

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// rateUnits maps the units a rate may be written in (matched without
// regard to case, but for the bit/byte distinction of "kB" and "kbit") to
// kBytes/s. A byte unit is a power of 1024, as the classic kB; a bit unit
// is a power of 1000, as link speeds and tc(8) write them: 176kbit is
// 176000 bits/s, 21.48 kB/s.
var rateUnits = map[string]float64{
	"kb/s": 1, "kbps": 1,
	"mb/s": 1024, "mbps": 1024,
	"gb/s": 1024 * 1024, "gbps": 1024 * 1024,
	"bit": 1.0 / 8 / 1024, "kbit": 1000.0 / 8 / 1024, "mbit": 1e6 / 8 / 1024, "gbit": 1e9 / 8 / 1024,
}

// RateHelp lists the units ParseRate accepts, for messages and --help.
const RateHelp = "a rate in kB/s (kilobytes, 1 kB = 1024 bytes) such as 22, or with a unit: 22kB, 2MB, 176kbit, 1.5Mbit, 1Gbit"

// ParseRate reads a rate and returns it in kBytes/s (1 kB = 1024 bytes).
// A bare number is kBytes/s, the classic unit; a number may be followed
// by a unit: kB, MB, GB (kilo-, mega-, gigabytes a second, powers of 1024;
// "kB/s" and "kBps" too) or bit, kbit, Mbit, Gbit (bits a second, powers
// of 1000; "/s" allowed). A lone "k", "M" or "kb" is refused, since it
// does not say bytes or bits. The result is finite and may be negative
// or 0: callers check their range.
func ParseRate(v string) (float64, error) {
	if _, err := strconv.ParseFloat(v, 64); err == nil || errors.Is(err, strconv.ErrRange) {
		return parseFloat(v) // a bare number, perhaps NaN, Inf or too large
	}
	num := strings.TrimRightFunc(v, func(r rune) bool { return r == '/' || r == ' ' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' })
	unit := strings.TrimSpace(v[len(num):])
	if num == "" {
		return 0, fmt.Errorf("%q: %w: want %s", v, ErrInvalidValue, RateHelp)
	}
	x, err := parseFloat(num)
	if err != nil && unit == "" {
		return 0, fmt.Errorf("%w; want %s", err, RateHelp)
	}
	if err != nil {
		return 0, err
	}
	if unit == "" {
		return x, nil
	}
	f, ok := rateUnit(unit)
	if !ok {
		return 0, fmt.Errorf("%q: %w: unit %q: want %s", v, ErrInvalidValue, unit, RateHelp)
	}
	return x * f, nil
}

// rateUnit returns the factor of unit to kBytes/s: byte units must spell
// B in upper case, bit units "bit".
func rateUnit(unit string) (float64, bool) {
	u := strings.TrimSuffix(unit, "/s")
	if strings.HasSuffix(strings.ToLower(u), "bit") {
		f, ok := rateUnits[strings.ToLower(u)]
		return f, ok
	}
	if len(u) < 2 || u[1] != 'B' {
		return 0, false // "k", "kb", "Kb": bytes or bits?
	}
	switch u := strings.ToLower(u); u {
	case "kb", "mb", "gb":
		return rateUnits[u+"/s"], true
	default:
		return rateUnits[u], rateUnits[u] != 0
	}
}

// ParseDuration reads a duration as directives such as mailexpire do: a
// whole number of seconds ("30"), a Go duration ("90s", "1h30m") or whole
// days ("7d").
func ParseDuration(v string) (time.Duration, error) { return parseDuration(v) }
