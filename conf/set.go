package conf

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"ipband/mail"
	"ipband/subnet"
)

// Limits of directive values beyond the ranges stated in Config.
const (
	// MaxLenAdj bounds lenadj: -MaxLenAdj <= lenadj <= MaxLenAdj.
	MaxLenAdj = 65535
	// MaxPeriod bounds average and report, so that period arithmetic on
	// packet time cannot overflow.
	MaxPeriod = 365 * 24 * time.Hour
)

// field is one directive's value in one Config. set reads a value as
// written (surrounding white space already removed, never empty) and
// stores it; line is its line in the config file, or 0 when it comes from
// a flag. check reports a stored value that set would not have stored,
// for Validate: the same ranges serve both.
type field interface {
	set(v string, line int) error
	check() error
}

// directive is one entry of the directive table: its name (lower case)
// and its field in a Config.
type directive struct {
	name  string
	field func(c *Config) field
}

// directives is the table of every directive, in the order Validate
// checks them. Adding a directive is one entry here (and its Config field,
// its default in Default, a flag in cmd/ipband's options table if it has
// one, and its line in ipband.conf.example): the kinds below bind a
// field with its range, which Set, Parse and Validate all use.
var directives = [...]directive{
	{"interface", func(c *Config) field { return word(&c.Interface) }},
	{"promisc", func(c *Config) field { return yesNo(&c.Promisc) }},
	{"debug", func(c *Config) field { return integer(&c.Debug, 0, 3) }},
	{"fork", func(c *Config) field { return yesNo(&c.Fork) }},
	{"filter", func(c *Config) field { return text(&c.Filter) }},
	{"outfile", func(c *Config) field { return path(&c.OutFile) }},
	{"htmlfile", func(c *Config) field { return path(&c.HTMLFile) }},
	{"htmltitle", func(c *Config) field { return text(&c.HTMLTitle) }},
	{"bandwidth", func(c *Config) field { return threshold(&c.Bandwidth) }},
	{"average", func(c *Config) field { return seconds(&c.Average) }},
	{"lenadj", func(c *Config) field { return integer(&c.LenAdj, -MaxLenAdj, MaxLenAdj) }},
	{"report", func(c *Config) field { return seconds(&c.Report) }},
	{"top", func(c *Config) field { return integer(&c.Top, 0, math.MaxInt) }},
	{"accumulate", func(c *Config) field { return yesNo(&c.Accumulate) }},
	{"mailto", func(c *Config) field { return custom{c.setMailTo, c.checkMailTo} }},
	{"mailfoot", func(c *Config) field { return path(&c.MailFoot) }},
	{"mtastring", func(c *Config) field { return text(&c.MTA) }},
	{"maskbits", func(c *Config) field { return integer(&c.MaskBits, 1, 32) }},
	{"maskbits6", func(c *Config) field { return integer(&c.MaskBits6, 1, 128) }},
	{"localrange", func(c *Config) field { return setter(c.addLocalRange) }},
	{"subnet", func(c *Config) field { return custom{c.addSubnet, c.checkSubnets} }},
	{"maxsubnets", func(c *Config) field { return integer(&c.MaxSubnets, 1, math.MaxInt) }},
	{"maxconns", func(c *Config) field { return integer(&c.MaxConns, 1, math.MaxInt) }},
	{"maxconnstotal", func(c *Config) field { return integer(&c.MaxConnsTotal, 1, math.MaxInt) }},
	{"namecache", func(c *Config) field { return integer(&c.NameCache, 0, math.MaxInt32) }},
	{"asndb", func(c *Config) field { return path(&c.ASNDB) }},
	{"countrydb", func(c *Config) field { return path(&c.CountryDB) }},
	{"resolve", func(c *Config) field { return oneOf(&c.Resolve, "none", "ptr") }},
	{"jsonfile", func(c *Config) field { return path(&c.JSONFile) }},
	{"statsfile", func(c *Config) field { return path(&c.StatsFile) }},
	{"metrics", func(c *Config) field { return listenAddr(&c.Metrics) }},
	{"notify", func(c *Config) field { return text(&c.Notify) }},
	{"notifytimeout", func(c *Config) field { return seconds(&c.NotifyTimeout) }},
	{"user", func(c *Config) field { return word(&c.User) }},
	{"pidfile", func(c *Config) field { return path(&c.PidFile) }},
	{"reader", func(c *Config) field { return oneOf(&c.Reader, "auto", "afpacket", "libpcap") }},
	{"ringsize", func(c *Config) field { return sizeIn(&c.RingSize, MinRingSize, MaxRingSize) }},
	{"workers", func(c *Config) field { return workers(&c.Workers) }},
	{"logformat", func(c *Config) field { return oneOf(&c.LogFormat, "text", "json") }},
	{"smtp", func(c *Config) field { return hostPort(&c.SMTP) }},
	{"smtptls", func(c *Config) field { return oneOf(&c.SMTPTLS, "starttls", "tls", "none") }},
	{"smtpuser", func(c *Config) field { return word(&c.SMTPUser) }},
	{"smtppassfile", func(c *Config) field { return path(&c.SMTPPassFile) }},
	{"smtptlsca", func(c *Config) field { return path(&c.SMTPTLSCA) }},
	{"mailfrom", func(c *Config) field { return mailAddr(&c.MailFrom) }},
	{"spooldir", func(c *Config) field { return path(&c.SpoolDir) }},
	{"spoolmax", func(c *Config) field { return size(&c.SpoolMax) }},
	{"mailtimeout", func(c *Config) field { return duration(&c.MailTimeout, 0) }},
	{"mailretry", func(c *Config) field { return duration(&c.MailRetry, time.Millisecond) }},
	{"mailretrymax", func(c *Config) field { return duration(&c.MailRetryMax, time.Millisecond) }},
	{"mailexpire", func(c *Config) field { return duration(&c.MailExpire, time.Millisecond) }},
	{"evidencedir", func(c *Config) field { return path(&c.EvidenceDir) }},
	{"evidencesnaplen", func(c *Config) field { return integer(&c.EvidenceSnaplen, 64, 262144) }},
	{"pagemode", func(c *Config) field { return fileMode(&c.PageMode) }},
	{"flowlisten", func(c *Config) field { return setter(c.addFlowListen) }},
	{"flowexporter", func(c *Config) field { return custom{c.addFlowExporter, c.checkFlowExporters} }},
	{"flowgrace", func(c *Config) field { return seconds(&c.FlowGrace) }},
	{"flowskew", func(c *Config) field { return seconds(&c.FlowSkew) }},
}

// Directives returns the name of every directive, in lower case.
func Directives() []string {
	names := make([]string, len(directives))
	for i, d := range directives {
		names[i] = d.name
	}
	return names
}

// Set applies one directive, as a config file line `key value` would:
// key in any case, value as written after it (surrounding white space is
// ignored). The value is checked the same way whether it comes from the file
// or from a command-line flag, and the error names neither: the caller adds
// the flag or the file and line. Comments and quotes are config file
// syntax: Set takes the value as it is.
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

// SetFrom is Set, and records origin as where the directive's value came
// from, for Origin: a flag as the user may have typed it ("flag
// -r/--report") or any other short text ("interface argument"). A failed
// SetFrom records nothing.
func (c *Config) SetFrom(key, value, origin string) error {
	if err := c.Set(key, value); err != nil {
		return err
	}
	c.setOrigin(strings.ToLower(key), origin)
	return nil
}

// Origin names where the value of directive (in any case) came from: the
// origin given to SetFrom, FILE:LINE of the config line that set it last,
// or "default" when neither set it.
func (c *Config) Origin(directive string) string {
	if o, ok := c.origins[strings.ToLower(directive)]; ok {
		return o
	}
	return "default"
}

// setOrigin records where the value of key came from.
func (c *Config) setOrigin(key, origin string) {
	if c.origins == nil {
		c.origins = make(map[string]string)
	}
	c.origins[key] = origin
}

// apply runs f on value with surrounding white space removed.
func apply(f field, value string, line int) error {
	value = strings.TrimSpace(value)
	if value == "" {
		return ErrMissingValue
	}
	return f.set(value, line)
}

// lookup returns the table entry of key (lower case), or nil.
func lookup(key string) *directive {
	for i := range directives {
		if directives[i].name == key {
			return &directives[i]
		}
	}
	return nil
}

// isDirective reports whether key (lower case) is a directive.
func isDirective(key string) bool { return lookup(key) != nil }

// setter returns the field of the directive key (lower case) on c, or nil
// when key is not a directive.
func (c *Config) setter(key string) field {
	if d := lookup(key); d != nil {
		return d.field(c)
	}
	return nil
}

// setter is a field from a function that sets it, for directives whose
// every stored value is valid.
type setter func(v string, line int) error

func (f setter) set(v string, line int) error { return f(v, line) }
func (setter) check() error                   { return nil }

// custom is a field from a function that sets it and one that checks it.
type custom struct {
	setf   func(v string, line int) error
	checkf func() error
}

func (f custom) set(v string, line int) error { return f.setf(v, line) }
func (f custom) check() error                 { return f.checkf() }

// stringField is a string directive: word or text.
type stringField struct {
	p   *string
	bad func(r rune) bool // a rune the value may not hold
	why string
}

// word is a value without white space or control characters.
func word(p *string) field {
	return stringField{p, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }, "want one word"}
}

// text is the rest of the line: any text without control characters
// other than tab.
func text(p *string) field {
	return stringField{p, func(r rune) bool { return r != '\t' && unicode.IsControl(r) }, "control characters not allowed"}
}

// pathField is a directive naming a file or a directory: text, which
// Absolute resolves when relative. "-" (standard output, where a directive
// allows it) is not a path.
type pathField struct{ stringField }

// path is text naming a file or a directory.
func path(p *string) field { return pathField{text(p).(stringField)} }

// Absolute makes the value of every directive that names a file or a
// directory (outfile, htmlfile, jsonfile, statsfile, mailfoot, pidfile,
// asndb, countrydb, smtppassfile, smtptlsca, spooldir, evidencedir)
// absolute: a relative one is joined to dir, the directory ipband started
// in. "" (off) and "-" (standard output) stay as they are. So does the
// program of a command (mtastring, notify) given by a relative path with
// a slash ("./hook.sh"); a program without a slash is looked up in PATH
// and stays as it is. The daemon of -F calls it before it changes to /, so
// that a reopen on SIGHUP, a file of a later episode, a spooled message or
// a notification goes where the admin meant.
func (c *Config) Absolute(dir string) {
	for _, d := range directives {
		f, ok := d.field(c).(pathField)
		if ok && *f.p != "" && *f.p != "-" && !filepath.IsAbs(*f.p) {
			*f.p = filepath.Join(dir, *f.p)
		}
	}
	for _, p := range []*string{&c.MTA, &c.Notify} {
		*p = absoluteCommand(dir, *p)
	}
}

// absoluteCommand returns the command line cmd with its program joined to
// dir when it is a relative path with a slash; the arguments stay as they
// are.
func absoluteCommand(dir, cmd string) string {
	f := strings.Fields(cmd) // as the command is split to run it
	if len(f) == 0 || !strings.Contains(f[0], "/") || filepath.IsAbs(f[0]) {
		return cmd
	}
	return strings.Replace(cmd, f[0], filepath.Join(dir, f[0]), 1)
}

func (f stringField) set(v string, _ int) error {
	if err := f.valid(v); err != nil {
		return err
	}
	*f.p = v
	return nil
}

func (f stringField) check() error { return f.valid(*f.p) }

func (f stringField) valid(v string) error {
	if strings.ContainsFunc(v, f.bad) {
		return fmt.Errorf("%q: %w: %s", v, ErrInvalidValue, f.why)
	}
	return nil
}

// boolField is a yes/no directive.
type boolField struct{ p *bool }

// yesNo reads yes/no, on/off, true/false, ok or 1/0, in any case.
func yesNo(p *bool) field { return boolField{p} }

func (f boolField) set(v string, _ int) error {
	switch strings.ToLower(v) {
	case "yes", "on", "true", "ok", "1":
		*f.p = true
	case "no", "off", "false", "0":
		*f.p = false
	default:
		return fmt.Errorf("%q: %w: want yes or no", v, ErrInvalidValue)
	}
	return nil
}

func (boolField) check() error { return nil }

// intField is a decimal integer in lo..hi.
type intField struct {
	p      *int
	lo, hi int
}

// integer reads a decimal integer in lo..hi.
func integer(p *int, lo, hi int) field { return intField{p, lo, hi} }

func (f intField) set(v string, _ int) error {
	n, err := parseInt(v, f.lo, f.hi)
	if err != nil {
		return err
	}
	*f.p = n
	return nil
}

func (f intField) check() error {
	if *f.p < f.lo || *f.p > f.hi {
		return fmt.Errorf("%d: %w: %s", *f.p, ErrOutOfRange, rangeText(f.lo, f.hi))
	}
	return nil
}

// secondsField is a period: a whole number of seconds, 1 to MaxPeriod.
type secondsField struct{ p *time.Duration }

// seconds reads a whole number of seconds, 1 to MaxPeriod.
func seconds(p *time.Duration) field { return secondsField{p} }

func (f secondsField) set(v string, _ int) error {
	n, err := parseInt(v, 1, int(MaxPeriod/time.Second))
	if err != nil {
		return err
	}
	*f.p = time.Duration(n) * time.Second
	return nil
}

func (f secondsField) check() error {
	if d := *f.p; d < time.Second || d > MaxPeriod || d%time.Second != 0 {
		return fmt.Errorf("%v: %w: %s whole seconds", d, ErrOutOfRange, rangeText(1, int(MaxPeriod/time.Second)))
	}
	return nil
}

// thresholdField is a finite rate above 0, in kBytes/s.
type thresholdField struct{ p *float64 }

// threshold reads a finite rate above 0 (ParseRate), in kBytes/s.
func threshold(p *float64) field { return thresholdField{p} }

func (f thresholdField) set(v string, _ int) error {
	x, err := ParseRate(v)
	if err != nil {
		return err
	}
	if x <= 0 {
		return fmt.Errorf("%q: %w: want more than 0", v, ErrOutOfRange)
	}
	*f.p = x
	return nil
}

func (f thresholdField) check() error {
	if x := *f.p; !(x > 0) || math.IsInf(x, 1) {
		return fmt.Errorf("%v: %w: want a finite number more than 0", x, ErrOutOfRange)
	}
	return nil
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

// subnetSyntax is the syntax of a subnet line, for messages.
const subnetSyntax = "want ADDR [bandwidth RATE] [in RATE] [out RATE] [capacity RATE]"

// addSubnet appends the SubnetSpec of `ADDR [bandwidth N] [in N] [out N]
// [capacity N]`: each keyword at most once, in any order.
func (c *Config) addSubnet(v string, line int) error {
	f := strings.Fields(v)
	addr, bits, err := subnet.ParseSubnet(f[0])
	if err != nil {
		return err
	}
	spec := SubnetSpec{Addr: addr, Bits: bits, Line: line}
	if len(f)%2 == 0 {
		return fmt.Errorf("%q: %w: %s", v, ErrInvalidValue, subnetSyntax)
	}
	seen := map[string]bool{}
	for i := 1; i < len(f); i += 2 {
		key := strings.ToLower(f[i])
		p := map[string]*float64{"bandwidth": &spec.Bandwidth, "in": &spec.In, "out": &spec.Out, "capacity": &spec.Capacity}[key]
		if p == nil || seen[key] {
			return fmt.Errorf("%q: %w: %s", v, ErrInvalidValue, subnetSyntax)
		}
		seen[key] = true
		x, err := ParseRate(f[i+1])
		if err != nil {
			return err
		}
		if x < 0 {
			return fmt.Errorf("%q: %w: want 0 or more", f[i+1], ErrOutOfRange)
		}
		*p = x
	}
	c.Subnets = append(c.Subnets, spec)
	return nil
}

// checkSubnets checks every subnet line: a valid address and prefix
// length, and thresholds and capacity of 0 (the default, or none) or more.
func (c *Config) checkSubnets() error {
	for _, s := range c.Subnets {
		_, ok := c.prefix(s)
		for _, x := range [...]float64{s.Bandwidth, s.In, s.Out, s.Capacity} {
			ok = ok && x >= 0 && !math.IsInf(x, 1)
		}
		if !ok {
			return fmt.Errorf("line %d: %v/%d bandwidth %v in %v out %v capacity %v: %w",
				s.Line, s.Addr, s.Bits, s.Bandwidth, s.In, s.Out, s.Capacity, ErrInvalidValue)
		}
	}
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

// checkMailTo checks every address of MailTo.
func (c *Config) checkMailTo() error {
	for _, a := range c.MailTo {
		if err := checkMailAddr(a); err != nil {
			return err
		}
	}
	return nil
}

// checkMailAddr checks a with mail.CheckAddress, the one rule for mail
// addresses, so that an address accepted here can be sent to.
func checkMailAddr(a string) error {
	var ae *mail.AddressError
	if err := mail.CheckAddress(a); errors.As(err, &ae) {
		return fmt.Errorf("%q: %w: %s", a, ErrInvalidValue, ae.Why)
	}
	return nil
}

// listenAddr sets *p to a TCP listen address HOST:PORT (HOST may be empty
// for every address).
func listenAddr(p *string) setter {
	return func(v string, _ int) error {
		host, port, err := net.SplitHostPort(v)
		if err != nil || strings.ContainsFunc(host, unicode.IsSpace) {
			return fmt.Errorf("%q: %w: want HOST:PORT", v, ErrInvalidValue)
		}
		if _, err := parseInt(port, 0, 65535); err != nil {
			return fmt.Errorf("%q: port: %w", v, err)
		}
		*p = v
		return nil
	}
}

// mailAddr sets *p to one mail address.
func mailAddr(p *string) setter {
	return func(v string, _ int) error {
		if err := checkMailAddr(v); err != nil {
			return err
		}
		*p = v
		return nil
	}
}

// hostPort sets *p to HOST:PORT with a numeric port, 1 to 65535.
func hostPort(p *string) setter {
	return func(v string, _ int) error {
		host, port, err := net.SplitHostPort(v)
		if err != nil || host == "" || strings.ContainsFunc(host, unicode.IsSpace) {
			return fmt.Errorf("%q: %w: want HOST:PORT", v, ErrInvalidValue)
		}
		if _, err := parseInt(port, 1, 65535); err != nil {
			return fmt.Errorf("%q: %w: want a port number 1 to 65535", v, ErrInvalidValue)
		}
		*p = v
		return nil
	}
}

// oneOf sets *p to one of the words (in any case, stored in lower case).
func oneOf(p *string, words ...string) setter {
	return func(v string, _ int) error {
		if w := strings.ToLower(v); slices.Contains(words, w) {
			*p = w
			return nil
		}
		return fmt.Errorf("%q: %w: want %s", v, ErrInvalidValue, strings.Join(words, ", "))
	}
}

// duration sets *p to a whole number of seconds ("30") or a duration with a
// unit ("500ms", "90s", "1h", "5d"), at least lo and at most MaxPeriod.
func duration(p *time.Duration, lo time.Duration) setter {
	return func(v string, _ int) error {
		d, err := parseDuration(v)
		if err != nil {
			return fmt.Errorf("%q: %w: want seconds or a duration such as 90s, 1h, 5d", v, ErrInvalidValue)
		}
		if d < lo || d > MaxPeriod {
			return fmt.Errorf("%q: %w: want %v to %v", v, ErrOutOfRange, lo, MaxPeriod)
		}
		*p = d
		return nil
	}
}

// parseDuration parses seconds, a time.ParseDuration value, or whole days.
func parseDuration(v string) (time.Duration, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > int64(MaxPeriod/time.Second) {
			return 0, strconv.ErrRange
		}
		return time.Duration(n) * time.Second, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > int64(MaxPeriod/(24*time.Hour)) {
			return 0, strconv.ErrSyntax
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(v)
}

// sizeIn is size in lo..hi bytes.
func sizeIn(p *int64, lo, hi int64) custom {
	want := fmt.Sprintf("want %dK to %dG", lo>>10, hi>>30)
	return custom{
		setf: func(v string, line int) error {
			var n int64
			if err := size(&n)(v, line); err != nil {
				return err
			}
			if n < lo || n > hi {
				return fmt.Errorf("%q: %w: %s", v, ErrOutOfRange, want)
			}
			*p = n
			return nil
		},
		checkf: func() error {
			if *p < lo || *p > hi {
				return fmt.Errorf("%d: %w: %s", *p, ErrOutOfRange, want)
			}
			return nil
		},
	}
}

// workers sets *p to a number of capture workers, 1 to MaxWorkers, or
// WorkersAuto for "auto".
func workers(p *int) custom {
	return custom{
		setf: func(v string, _ int) error {
			if strings.EqualFold(v, "auto") {
				*p = WorkersAuto
				return nil
			}
			n, err := parseInt(v, 1, MaxWorkers)
			if err != nil {
				return fmt.Errorf("%w, or auto", err)
			}
			*p = n
			return nil
		},
		checkf: func() error {
			if *p < WorkersAuto || *p > MaxWorkers {
				return fmt.Errorf("%d: %w: %s, or auto", *p, ErrOutOfRange, rangeText(1, MaxWorkers))
			}
			return nil
		},
	}
}

// size sets *p to a byte count, 1 or more: a number, optionally followed
// by K, M or G (KiB, MiB, GiB: powers of 1024; "KB" and the like too).
func size(p *int64) setter {
	return func(v string, _ int) error {
		num := strings.TrimRight(v, "KkMmGgIiBb ")
		unit := strings.ToUpper(strings.TrimSpace(v[len(num):]))
		shift, ok := map[string]uint{"": 0, "B": 0, "K": 10, "KB": 10, "KIB": 10, "M": 20, "MB": 20, "MIB": 20, "G": 30, "GB": 30, "GIB": 30}[unit]
		n, err := strconv.ParseInt(num, 10, 64)
		if !ok || err != nil {
			return fmt.Errorf("%q: %w: want a size such as 64M", v, ErrInvalidValue)
		}
		if n < 1 || n > math.MaxInt64>>shift {
			return fmt.Errorf("%q: %w: want 1 byte or more", v, ErrOutOfRange)
		}
		*p = n << shift
		return nil
	}
}

// fileMode reads a file mode in octal, as chmod takes it: 644 or 0644,
// from 0001 to 0777 (no set-id or sticky bit).
func fileMode(p *fs.FileMode) setter {
	return func(v string, _ int) error {
		n, err := strconv.ParseUint(v, 8, 32)
		if err != nil {
			return fmt.Errorf("%q: %w: want an octal mode such as 0644", v, ErrInvalidValue)
		}
		if n < 1 || n > 0o777 {
			return fmt.Errorf("%q: %w: want 0001 to 0777", v, ErrOutOfRange)
		}
		*p = fs.FileMode(n)
		return nil
	}
}

// addFlowListen appends UDP listen addresses [ADDR]:PORT, comma
// separated.
func (c *Config) addFlowListen(v string, _ int) error {
	var list []string
	for a := range strings.SplitSeq(v, ",") {
		a = strings.TrimSpace(a)
		host, port, err := net.SplitHostPort(a)
		if err != nil || strings.ContainsFunc(host, unicode.IsSpace) {
			return fmt.Errorf("%q: %w: want [ADDR]:PORT", a, ErrInvalidValue)
		}
		if host != "" && net.ParseIP(host) == nil {
			return fmt.Errorf("%q: %w: want an IP address, not a name", a, ErrInvalidValue)
		}
		if _, err := parseInt(port, 0, 65535); err != nil {
			return fmt.Errorf("%q: port: %w", a, err)
		}
		list = append(list, a)
	}
	c.FlowListen = append(c.FlowListen, list...)
	return nil
}

// addFlowExporter appends `ADDR [name NAME] [sampling N] [interfaces
// IF,...]`.
func (c *Config) addFlowExporter(v string, line int) error {
	f := strings.Fields(v)
	addr, err := netip.ParseAddr(f[0])
	if err != nil || addr.Zone() != "" {
		return fmt.Errorf("%q: %w: want an IP address", f[0], ErrInvalidValue)
	}
	x := FlowExporter{Addr: addr.Unmap(), Line: line}
	for i := 1; i < len(f); i += 2 {
		if i+1 >= len(f) {
			return fmt.Errorf("%q: %w: %s needs a value: want ADDR [name NAME] [sampling N] [interfaces IF,...]", v, ErrMissingValue, f[i])
		}
		val := f[i+1]
		switch strings.ToLower(f[i]) {
		case "name":
			x.Name = val
		case "sampling":
			n, err := parseInt(val, 1, math.MaxInt32)
			if err != nil {
				return fmt.Errorf("sampling %w", err)
			}
			x.Sampling = uint64(n)
		case "interfaces":
			x.Interfaces = nil
			for s := range strings.SplitSeq(val, ",") {
				n, err := parseInt(s, 0, min(math.MaxUint32, math.MaxInt))
				if err != nil {
					return fmt.Errorf("interfaces %w", err)
				}
				x.Interfaces = append(x.Interfaces, uint32(n))
			}
		default:
			return fmt.Errorf("%q: %w: want ADDR [name NAME] [sampling N] [interfaces IF,...]", v, ErrInvalidValue)
		}
	}
	for _, o := range c.FlowExporters {
		if o.Addr == x.Addr {
			return fmt.Errorf("%s: %w: given twice", x.Addr, ErrInvalidValue)
		}
	}
	c.FlowExporters = append(c.FlowExporters, x)
	return nil
}

// checkFlowExporters checks that no exporter is listed twice.
func (c *Config) checkFlowExporters() error {
	seen := make(map[netip.Addr]bool)
	for _, x := range c.FlowExporters {
		if !x.Addr.IsValid() || seen[x.Addr] {
			return fmt.Errorf("line %d: flowexporter %v: %w", x.Line, x.Addr, ErrInvalidValue)
		}
		seen[x.Addr] = true
	}
	return nil
}
