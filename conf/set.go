package conf

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"ipband/subnet"
)

// Limits of directive values beyond the ranges stated in Config.
const (
	// MaxLenAdj bounds lenadj: -MaxLenAdj <= lenadj <= MaxLenAdj.
	MaxLenAdj = 65535
	// MaxPeriod bounds average and report, so that period arithmetic on
	// packet time cannot overflow.
	MaxPeriod = 365 * 24 * time.Hour
	// maxMailAddr is the longest mail address accepted (RFC 5321 path).
	maxMailAddr = 254
)

// setter applies the value of one directive; line is its line in the
// config file, or 0 when it comes from a flag.
type setter func(value string, line int) error

// Set applies one directive, as a config file line `key value` would:
// key in any case, value as written after it (surrounding white space is
// ignored). The value is checked the same way whether it comes from the file
// or from a command-line flag, and the error names neither: the caller adds
// the flag or the file and line.
//
// subnet and localrange append to what is already set; every other
// directive replaces its value, mailto its whole list. An empty value is
// ErrMissingValue and an unknown key ErrUnknownDirective.
func (c *Config) Set(key, value string) error {
	f := c.setter(strings.ToLower(key))
	if f == nil {
		return fmt.Errorf("%w %q", ErrUnknownDirective, key)
	}
	return apply(f, value, 0)
}

// apply runs f on value with surrounding white space removed.
func apply(f setter, value string, line int) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return ErrMissingValue
	}
	return f(value, line)
}

// isDirective reports whether key (lower case) is a directive.
func isDirective(key string) bool {
	var c Config
	return c.setter(key) != nil
}

// setter returns the setter of the directive key (lower case) on c, or nil
// when key is not a directive.
func (c *Config) setter(key string) setter {
	switch key {
	case "interface":
		return word(&c.Interface)
	case "promisc":
		return yesNo(&c.Promisc)
	case "debug":
		return integer(&c.Debug, 0, 3)
	case "fork":
		return yesNo(&c.Fork)
	case "filter":
		return text(&c.Filter)
	case "outfile":
		return text(&c.OutFile)
	case "htmlfile":
		return text(&c.HTMLFile)
	case "htmltitle":
		return text(&c.HTMLTitle)
	case "bandwidth":
		return threshold(&c.Bandwidth)
	case "average":
		return seconds(&c.Average)
	case "lenadj":
		return integer(&c.LenAdj, -MaxLenAdj, MaxLenAdj)
	case "report":
		return seconds(&c.Report)
	case "top":
		return integer(&c.Top, 0, math.MaxInt)
	case "accumulate":
		return yesNo(&c.Accumulate)
	case "mailto":
		return c.setMailTo
	case "mailfoot":
		return text(&c.MailFoot)
	case "mtastring":
		return text(&c.MTA)
	case "maskbits":
		return integer(&c.MaskBits, 1, 32)
	case "maskbits6":
		return integer(&c.MaskBits6, 1, 128)
	case "localrange":
		return c.addLocalRange
	case "subnet":
		return c.addSubnet
	case "maxsubnets":
		return integer(&c.MaxSubnets, 1, math.MaxInt)
	case "maxconns":
		return integer(&c.MaxConns, 1, math.MaxInt)
	case "maxconnstotal":
		return integer(&c.MaxConnsTotal, 1, math.MaxInt)
	}
	return nil
}

// word sets *p to a value without white space or control characters.
func word(p *string) setter {
	return func(v string, _ int) error {
		if strings.ContainsFunc(v, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			return fmt.Errorf("%q: %w: want one word", v, ErrInvalidValue)
		}
		*p = v
		return nil
	}
}

// text sets *p to the rest of the line: any text without control
// characters other than tab.
func text(p *string) setter {
	return func(v string, _ int) error {
		if strings.ContainsFunc(v, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }) {
			return fmt.Errorf("%q: %w: control characters not allowed", v, ErrInvalidValue)
		}
		*p = v
		return nil
	}
}

// yesNo sets *p from yes/no, on/off, true/false or 1/0, in any case.
func yesNo(p *bool) setter {
	return func(v string, _ int) error {
		switch strings.ToLower(v) {
		case "yes", "on", "true", "1":
			*p = true
		case "no", "off", "false", "0":
			*p = false
		default:
			return fmt.Errorf("%q: %w: want yes or no", v, ErrInvalidValue)
		}
		return nil
	}
}

// integer sets *p to a decimal integer in lo..hi.
func integer(p *int, lo, hi int) setter {
	return func(v string, _ int) error {
		n, err := parseInt(v, lo, hi)
		if err != nil {
			return err
		}
		*p = n
		return nil
	}
}

// seconds sets *p to a whole number of seconds, 1 to MaxPeriod.
func seconds(p *time.Duration) setter {
	return func(v string, _ int) error {
		n, err := parseInt(v, 1, int(MaxPeriod/time.Second))
		if err != nil {
			return err
		}
		*p = time.Duration(n) * time.Second
		return nil
	}
}

// threshold sets *p to a finite number of kBytes/s above 0.
func threshold(p *float64) setter {
	return func(v string, _ int) error {
		f, err := parseFloat(v)
		if err != nil {
			return err
		}
		if f <= 0 {
			return fmt.Errorf("%q: %w: want more than 0", v, ErrOutOfRange)
		}
		*p = f
		return nil
	}
}

// parseInt parses a decimal integer in lo..hi.
func parseInt(v string, lo, hi int) (int, error) {
	n, err := strconv.Atoi(v)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q: %w: %s", v, ErrOutOfRange, rangeText(lo, hi))
	case err != nil:
		return 0, fmt.Errorf("%q: %w: want a whole number", v, ErrInvalidValue)
	case n < lo || n > hi:
		return 0, fmt.Errorf("%q: %w: %s", v, ErrOutOfRange, rangeText(lo, hi))
	}
	return n, nil
}

// rangeText describes lo..hi for messages.
func rangeText(lo, hi int) string {
	if hi == math.MaxInt {
		return fmt.Sprintf("want %d or more", lo)
	}
	return fmt.Sprintf("want %d to %d", lo, hi)
}

// parseFloat parses a finite decimal number.
func parseFloat(v string) (float64, error) {
	f, err := strconv.ParseFloat(v, 64)
	switch {
	case errors.Is(err, strconv.ErrRange):
		return 0, fmt.Errorf("%q: %w: number too large", v, ErrOutOfRange)
	case err != nil:
		return 0, fmt.Errorf("%q: %w: want a number", v, ErrInvalidValue)
	case math.IsNaN(f) || math.IsInf(f, 0):
		return 0, fmt.Errorf("%q: %w: want a finite number", v, ErrInvalidValue)
	}
	return f, nil
}

// addSubnet appends the SubnetSpec of `ADDR [bandwidth N]`.
func (c *Config) addSubnet(v string, line int) error {
	f := strings.Fields(v)
	addr, bits, err := subnet.ParseSubnet(f[0])
	if err != nil {
		return err
	}
	spec := SubnetSpec{Addr: addr, Bits: bits, Line: line}
	switch {
	case len(f) == 1:
	case len(f) == 3 && strings.EqualFold(f[1], "bandwidth"):
		bw, err := parseFloat(f[2])
		if err != nil {
			return err
		}
		if bw < 0 {
			return fmt.Errorf("%q: %w: want 0 or more", f[2], ErrOutOfRange)
		}
		spec.Bandwidth = bw
	default:
		return fmt.Errorf("%q: %w: want ADDR [bandwidth N]", v, ErrInvalidValue)
	}
	c.Subnets = append(c.Subnets, spec)
	return nil
}

// addLocalRange appends a list of local ranges.
func (c *Config) addLocalRange(v string, _ int) error {
	rs, err := subnet.ParseRanges(v)
	if err != nil {
		return err
	}
	c.LocalRange = append(c.LocalRange, rs...)
	return nil
}

// setMailTo replaces MailTo with a comma separated list of addresses.
func (c *Config) setMailTo(v string, _ int) error {
	var list []string
	for a := range strings.SplitSeq(v, ",") {
		a = strings.TrimSpace(a)
		if err := checkMailAddr(a); err != nil {
			return err
		}
		list = append(list, a)
	}
	c.MailTo = list
	return nil
}

// checkMailAddr accepts a plausible bare mail address: `user` (a local
// recipient for the MTA) or `user@domain`, with no white space, control or
// quoting characters, so that it can go into a header or a command line
// as it is.
func checkMailAddr(a string) error {
	bad := func(why string) error {
		return fmt.Errorf("%q: %w: %s", a, ErrInvalidValue, why)
	}
	switch {
	case a == "":
		return bad("empty mail address")
	case len(a) > maxMailAddr:
		return bad("mail address too long")
	case !utf8.ValidString(a):
		return bad("mail address is not UTF-8")
	case a[0] == '-':
		return bad("mail address may not start with '-'")
	}
	for _, r := range a {
		if unicode.IsSpace(r) || unicode.IsControl(r) {
			return bad("mail address may not contain white space or control characters")
		}
		if strings.ContainsRune(`,<>"()[];:\`, r) {
			return bad(fmt.Sprintf("mail address may not contain %q", r))
		}
	}
	user, domain, at := strings.Cut(a, "@")
	switch {
	case !at:
		return nil
	case user == "" || domain == "":
		return bad("want user@domain")
	case strings.Contains(domain, "@"):
		return bad("more than one '@'")
	case domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, ".."):
		return bad("empty label in mail domain")
	}
	return nil
}
