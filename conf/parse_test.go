package conf_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"ipband/conf"
	"ipband/subnet"
)

func parse(t *testing.T, text string) *conf.Config {
	t.Helper()
	c, err := conf.Parse(strings.NewReader(text), "test.conf")
	if err != nil {
		t.Fatalf("Parse: %v\n%s", err, text)
	}
	return c
}

func TestParseEmpty(t *testing.T) {
	for _, text := range []string{"", "\n\n", "# only a comment\n", "  \t\r\n   # indented comment", "\uFEFF# after a BOM\n"} {
		c := parse(t, text)
		want := conf.Default()
		want.Source = "test.conf"
		if !reflect.DeepEqual(c, want) {
			t.Errorf("Parse(%q) = %+v, want defaults", text, c)
		}
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		text string
		line int
		key  string
		err  error  // tested with errors.Is
		msg  string // whole message, when not ""
	}{
		{"unknown directive", "# c\nfoo bar\n", 2, "", conf.ErrUnknownDirective, `test.conf:2: unknown directive "foo"`},
		{"unknown key alone", "\n\nBogus\n", 3, "", conf.ErrUnknownDirective, `test.conf:3: unknown directive "Bogus"`},
		{"zero average", "average 0\n", 1, "average", conf.ErrOutOfRange, `test.conf:1: average: "0": out of range: want 1 to 31536000`},
		{"negative average", "#\naverage -60\n", 2, "average", conf.ErrOutOfRange, ""},
		{"zero report", "report 0", 1, "report", conf.ErrOutOfRange, ""},
		{"negative report", "report -1\n", 1, "report", conf.ErrOutOfRange, ""},
		{"mask 0", "maskbits 0\n", 1, "maskbits", conf.ErrOutOfRange, `test.conf:1: maskbits: "0": out of range: want 1 to 32`},
		{"mask 33", "\n\n\nmaskbits 33\n", 4, "maskbits", conf.ErrOutOfRange, ""},
		{"mask6 129", "maskbits6 129\n", 1, "maskbits6", conf.ErrOutOfRange, ""},
		{"bad subnet", "maskbits 24\n# x\n\nsubnet 10.10.300.0\n", 4, "subnet", subnet.ErrInvalidAddr, `test.conf:4: subnet: "10.10.300.0": invalid address`},
		{"bad subnet bits", "subnet 10.10.0.0/40 bandwidth 3\n", 1, "subnet", subnet.ErrInvalidBits, ""},
		{"subnet threshold not a number", "subnet 10.10.1.0 bandwidth fast\n", 1, "subnet", conf.ErrInvalidValue, `test.conf:1: subnet: "fast": invalid value: want ` + conf.RateHelp},
		{"subnet negative threshold", "subnet 10.10.1.0 bandwidth -2\n", 1, "subnet", conf.ErrOutOfRange, ""},
		{"subnet extra words", "subnet 10.10.1.0 bandwidth 2 please\n", 1, "subnet", conf.ErrInvalidValue, ""},
		{"subnet direction twice", "subnet 10.10.1.0 in 2 in 3\n", 1, "subnet", conf.ErrInvalidValue, `test.conf:1: subnet: "10.10.1.0 in 2 in 3": invalid value: want ADDR [bandwidth RATE] [in RATE] [out RATE] [capacity RATE]`},
		{"subnet unknown direction", "subnet 10.10.1.0 sideways 3\n", 1, "subnet", conf.ErrInvalidValue, ""},
		{"subnet negative out", "subnet 10.10.1.0 out -3\n", 1, "subnet", conf.ErrOutOfRange, ""},
		{"subnet in without unit sense", "subnet 10.10.1.0 in 3k\n", 1, "subnet", conf.ErrInvalidValue, ""},
		{"threshold not a number", "bandwidth seven\n", 1, "bandwidth", conf.ErrInvalidValue, ""},
		{"threshold zero", "bandwidth 0\n", 1, "bandwidth", conf.ErrOutOfRange, ""},
		{"bad local range", "localrange 10.10.:300.1.\n", 1, "localrange", subnet.ErrInvalidAddr, ""},
		{"bad yes/no", "promisc maybe\n", 1, "promisc", conf.ErrInvalidValue, `test.conf:1: promisc: "maybe": invalid value: want yes or no`},
		{"key without value", "interface eth0\nsubnet\n", 2, "subnet", conf.ErrMissingValue, `test.conf:2: subnet: missing value`},
		{"key with blank value", "fork \t \r\n", 1, "fork", conf.ErrMissingValue, ""},
		{"section header", "debug 1\n[main]\ndebug 2\n", 2, "", conf.ErrSyntax, ""},
		{"unclosed section", "[main\n", 1, "", conf.ErrSyntax, ""},
		{"semicolon comment", "; note\n", 1, "", conf.ErrSyntax, ""},
		{"triple quoted value", "filter \"\"\"tcp\n\"\"\"\n", 1, "filter", conf.ErrSyntax, ""},
		{"quoted key", "\"interface\" eth0\n", 1, "", conf.ErrUnknownDirective, ""},
		{"auto-increment key", "- eth0\n", 1, "", conf.ErrUnknownDirective, ""},
		{"bad value before a comment", "bandwidth 7k  # kB/s\n", 1, "bandwidth", conf.ErrInvalidValue, `test.conf:1: bandwidth: "7k": invalid value: unit "k": want ` + conf.RateHelp},
		{"bad subnet before a comment", "subnet 10.10.300.0 # branch\n", 1, "subnet", subnet.ErrInvalidAddr, `test.conf:1: subnet: "10.10.300.0": invalid address`},
		{"only a comment after the key", "bandwidth # none\n", 1, "bandwidth", conf.ErrMissingValue, ""},
		{"only '=' after the key", "\ntop =\n", 2, "top", conf.ErrMissingValue, `test.conf:2: top: missing value`},
		{"empty quotes", "htmltitle \"\"\n", 1, "htmltitle", conf.ErrMissingValue, ""},
		{"no directive before '='", "= 5\n", 1, "", conf.ErrSyntax, ""},
		{"unknown directive with '='", "speed=5\n", 1, "", conf.ErrUnknownDirective, `test.conf:1: unknown directive "speed"`},
		{"unclosed quote", "mtastring \"/usr/sbin/sendmail -t\n", 1, "mtastring", conf.ErrSyntax, ""},
		{"text after the closing quote", "htmltitle \"Core\" link\n", 1, "htmltitle", conf.ErrSyntax, ""},
		{"bad word in quotes", "promisc \"maybe\" # not sure\n", 1, "promisc", conf.ErrInvalidValue, `test.conf:1: promisc: "maybe": invalid value: want yes or no`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := conf.Parse(strings.NewReader(tt.text), "test.conf")
			var e *conf.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%q) = %v, want a *conf.Error", tt.text, err)
			}
			if e.File != "test.conf" || e.Line != tt.line || e.Key != tt.key || !errors.Is(err, tt.err) {
				t.Errorf("Parse(%q) = %q (file %q line %d key %q), want line %d key %q wrapping %v",
					tt.text, err, e.File, e.Line, e.Key, tt.line, tt.key, tt.err)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("message %q, want %q", err, tt.msg)
			}
			if !strings.HasPrefix(err.Error(), "test.conf:") {
				t.Errorf("message %q does not start with test.conf:LINE", err)
			}
		})
	}
}

// TestParseLineNumbers checks the line of errors and of subnet specs
// among comments, blank lines, CRLF line ends and repeated keys.
func TestParseLineNumbers(t *testing.T) {
	text := strings.Join([]string{
		"# header",                    // 1
		"",                            // 2
		"subnet 10.1.1.0",             // 3
		"   # indented comment",       // 4
		"SUBNET 10.1.2.0\r",           // 5
		"bandwidth 5",                 // 6
		"\t",                          // 7
		"subnet 10.1.1.0",             // 8: the same value again
		"subnet 10.1.3.0 bandwidth 9", // 9
	}, "\n")
	c := parse(t, text)
	var lines []int
	for _, s := range c.Subnets {
		lines = append(lines, s.Line)
	}
	if want := []int{3, 5, 8, 9}; !reflect.DeepEqual(lines, want) {
		t.Errorf("subnet lines %v, want %v", lines, want)
	}

	// The same file with a bad value on each of the subnet lines in turn.
	rows := strings.Split(text, "\n")
	for _, n := range []int{3, 5, 8, 9} {
		bad := append([]string(nil), rows...)
		bad[n-1] = "subnet 10.1.999.0"
		_, err := conf.Parse(strings.NewReader(strings.Join(bad, "\n")), "x.conf")
		var e *conf.Error
		if !errors.As(err, &e) || e.Line != n || e.Key != "subnet" {
			t.Errorf("bad subnet on line %d: got %v", n, err)
		}
	}
}

// TestParseFirstError checks that the first bad line is reported, whether
// it is a bad value or a line the reader rejects as a whole.
func TestParseFirstError(t *testing.T) {
	tests := []struct {
		text string
		line int
	}{
		{"debug 1\ndebug 9\n[x]\n", 2},
		{"debug 1\n[x]\ndebug 9\n", 2},
		{"subnet 10.0.0.0\nfoo\nmaskbits 0\n", 2},
		{"subnet 10.0.0.0\nmaskbits 0\nfoo\n", 2},
		{"top 1\ntop -1\ntop\n", 2},
		{"top 1\ntop\ntop -1\n", 2},
	}
	for _, tt := range tests {
		_, err := conf.Parse(strings.NewReader(tt.text), "f")
		var e *conf.Error
		if !errors.As(err, &e) || e.Line != tt.line {
			t.Errorf("Parse(%q) = %v, want an error on line %d", tt.text, err, tt.line)
		}
	}
}

func TestParseCRLF(t *testing.T) {
	c := parse(t, "interface eth1\r\nmailto a@example.com\r\nhtmltitle  Core link \r\n")
	if c.Interface != "eth1" || !reflect.DeepEqual(c.MailTo, []string{"a@example.com"}) || c.HTMLTitle != "Core link" {
		t.Errorf("got interface %q, mailto %q, title %q", c.Interface, c.MailTo, c.HTMLTitle)
	}
}

// TestParseClassicForms checks the forms the classic parser accepted: '='
// as a separator, a # after white space starting a comment, double quotes
// around a value, and every spelling of yes and no.
func TestParseClassicForms(t *testing.T) {
	type formCase struct {
		line string
		get  func(*conf.Config) any
		want any
	}
	tests := []formCase{
		{"average 30", average, 30 * time.Second},
		{"average=30", average, 30 * time.Second},
		{"average = 30", average, 30 * time.Second},
		{"average =30", average, 30 * time.Second},
		{"average= 30", average, 30 * time.Second},
		{"AVERAGE\t=\t30\r", average, 30 * time.Second},
		{"bandwidth 22   # 128k line", bandwidth, 22.0},
		{"bandwidth=22\t# 128k line", bandwidth, 22.0},
		{"bandwidth 22 #", bandwidth, 22.0},
		{"subnet 10.10.1.0 bandwidth 22 # halifax", subnets, []conf.SubnetSpec{{Addr: netip.MustParseAddr("10.10.1.0"), Bits: -1, Bandwidth: 22, Line: 1}}},
		{"subnet 10.10.1.0 bandwidth 16 in 12 OUT 128kbit capacity 1Mbit", subnets, []conf.SubnetSpec{{Addr: netip.MustParseAddr("10.10.1.0"), Bits: -1, Bandwidth: 16, In: 12, Out: 15.625, Capacity: 1e6 / 8 / 1024, Line: 1}}},
		{"subnet 10.10.1.0 out 3 in 2", subnets, []conf.SubnetSpec{{Addr: netip.MustParseAddr("10.10.1.0"), Bits: -1, In: 2, Out: 3, Line: 1}}},
		{"subnet = 10.10.0.0/16 # whole branch", subnets, []conf.SubnetSpec{{Addr: netip.MustParseAddr("10.10.0.0"), Bits: 16, Line: 1}}},
		{`mtastring "/usr/sbin/sendmail -t -oi"`, mta, "/usr/sbin/sendmail -t -oi"},
		{`mtastring="/usr/sbin/sendmail -t -oi" # the default`, mta, "/usr/sbin/sendmail -t -oi"},
		{`mtastring "/usr/sbin/sendmail -t -oi"#no space`, mta, "/usr/sbin/sendmail -t -oi"},
		{`htmltitle "Link #2"`, title, "Link #2"},
		{"htmltitle Link #2", title, "Link"},
		{"htmltitle Link#2", title, "Link#2"},
		{"htmltitle Say \"hi\"", title, `Say "hi"`},
		{"filter tcp port 80 # web only", filter, "tcp port 80"},
		{"filter ip[0]=0x45", filter, "ip[0]=0x45"},
		{"mailto = a@example.com, b@example.com", mailto, []string{"a@example.com", "b@example.com"}},
	}
	for _, b := range []struct {
		word string
		want bool
	}{{"yes", true}, {"no", false}, {"true", true}, {"false", false}, {"on", true}, {"off", false}, {"ok", true}, {"OK", true}, {"Yes", true}, {"1", true}, {"0", false}} {
		tests = append(tests,
			formCase{"fork " + b.word, fork, b.want},
			formCase{"promisc=" + b.word + " # classic", promisc, b.want})
	}
	for _, tt := range tests {
		c, err := conf.Parse(strings.NewReader("# classic\n"+tt.line+"\n"), "test.conf")
		if err != nil {
			t.Errorf("%q: %v", tt.line, err)
			continue
		}
		got := tt.get(c)
		if specs, ok := got.([]conf.SubnetSpec); ok {
			for i := range specs {
				specs[i].Line-- // after the comment line
			}
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q: got %#v, want %#v", tt.line, got, tt.want)
		}
	}
}

var (
	average   = func(c *conf.Config) any { return c.Average }
	bandwidth = func(c *conf.Config) any { return c.Bandwidth }
	subnets   = func(c *conf.Config) any { return c.Subnets }
	mta       = func(c *conf.Config) any { return c.MTA }
	title     = func(c *conf.Config) any { return c.HTMLTitle }
	filter    = func(c *conf.Config) any { return c.Filter }
	mailto    = func(c *conf.Config) any { return c.MailTo }
	fork      = func(c *conf.Config) any { return c.Fork }
	promisc   = func(c *conf.Config) any { return c.Promisc }
)

// TestParseQuotesKept checks that single quotes, backquotes, backslashes
// and quotes inside a value are plain text, as in the classic tool: no
// ini quoting, escaping or continuation.
func TestParseQuotesKept(t *testing.T) {
	c := parse(t, "htmltitle 'Main link'\nfilter `tcp` \\\nmtastring /bin/mail -s 'x ;y'\n")
	if c.HTMLTitle != `'Main link'` || c.Filter != "`tcp` \\" || c.MTA != "/bin/mail -s 'x ;y'" {
		t.Errorf("got title %q, filter %q, mta %q", c.HTMLTitle, c.Filter, c.MTA)
	}
}

func TestParseKeyCase(t *testing.T) {
	c := parse(t, "MaskBits 16\nSUBNET 10.1.2.3 BANDWIDTH 4\nPromisc No\nmailTO root\n")
	if c.MaskBits != 16 || c.Promisc || !reflect.DeepEqual(c.MailTo, []string{"root"}) || len(c.Subnets) != 1 {
		t.Fatalf("got %+v", c)
	}
	if s := c.Subnets[0]; s.Addr != netip.MustParseAddr("10.1.2.3") || s.Bandwidth != 4 || s.Line != 2 {
		t.Errorf("got subnet %+v", s)
	}
}

// TestParseOverride checks that a later line overrides an earlier one,
// interleaved with other keys.
func TestParseOverride(t *testing.T) {
	c := parse(t, "bandwidth 3\ntop 5\nbandwidth 4\nmailto a@example.com\ntop 6\nmailto b@example.com\nbandwidth 3\n")
	if c.Bandwidth != 3 || c.Top != 6 || !reflect.DeepEqual(c.MailTo, []string{"b@example.com"}) {
		t.Errorf("got bandwidth %v, top %d, mailto %v", c.Bandwidth, c.Top, c.MailTo)
	}
}

// TestPreloaded checks masking after the whole file, repeated subnets and
// default thresholds.
func TestPreloaded(t *testing.T) {
	c := parse(t, strings.Join([]string{
		"subnet 10.10.123.7 bandwidth 22", // masked by the later maskbits 16
		"subnet 10.20.1.0",                // default threshold
		"subnet 10.30.0.0/8 bandwidth 5",  // explicit bits kept
		"subnet 2001:db8:1:2:3::1 bandwidth 100",
		"subnet 2001:db8:1:2::/64 bandwidth 0",
		"subnet 10.10.200.0 bandwidth 30", // same /16 as line 1: wins, keeps place
		"subnet 10.20.9.9 bandwidth 0",    // same /16 as line 2: default threshold, line 7
		"bandwidth 12",
		"maskbits 16",
		"maskbits6 48",
	}, "\n"))
	p := netip.MustParsePrefix
	want := []conf.Preload{
		{Prefix: p("10.10.0.0/16"), Threshold: 30, Line: 6},
		{Prefix: p("10.20.0.0/16"), Threshold: 12, Line: 7},
		{Prefix: p("10.0.0.0/8"), Threshold: 5, Line: 3},
		{Prefix: p("2001:db8:1::/48"), Threshold: 100, Line: 4},
		{Prefix: p("2001:db8:1:2::/64"), Threshold: 12, Line: 5},
	}
	if got := c.Preloaded(); !reflect.DeepEqual(got, want) {
		t.Errorf("Preloaded() =\n%v\nwant\n%v", got, want)
	}
	if got := conf.Default().Preloaded(); got != nil {
		t.Errorf("Default().Preloaded() = %v, want nil", got)
	}
}

// TestPreloadedInvalid checks that specs changed directly into something
// Set would refuse are left out, and reported by Validate.
func TestPreloadedInvalid(t *testing.T) {
	c := conf.Default()
	c.Subnets = []conf.SubnetSpec{
		{Bits: -1},
		{Addr: netip.MustParseAddr("10.0.0.1"), Bits: 40},
		{Addr: netip.MustParseAddr("10.0.0.1"), Bits: -1, Bandwidth: 2},
	}
	want := []conf.Preload{{Prefix: netip.MustParsePrefix("10.0.0.0/24"), Threshold: 2}}
	if got := c.Preloaded(); !reflect.DeepEqual(got, want) {
		t.Errorf("Preloaded() = %v, want %v", got, want)
	}
	if err := c.Validate(); !errors.Is(err, conf.ErrInvalidValue) {
		t.Errorf("Validate() = %v, want ErrInvalidValue", err)
	}
}

func TestValidate(t *testing.T) {
	if err := conf.Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
	for _, text := range []string{"average 300\nreport 300\n", "average 30\nreport 31\n"} {
		if err := parse(t, text).Validate(); err != nil {
			t.Errorf("report >= average: Validate() = %v, want nil", err)
		}
	}
	tests := []struct {
		name   string
		change func(*conf.Config)
	}{
		{"debug", func(c *conf.Config) { c.Debug = 4 }},
		{"bandwidth", func(c *conf.Config) { c.Bandwidth = 0 }},
		{"average", func(c *conf.Config) { c.Average = 1500 * time.Millisecond }},
		{"report", func(c *conf.Config) { c.Report = 0 }},
		{"lenadj", func(c *conf.Config) { c.LenAdj = 70000 }},
		{"top", func(c *conf.Config) { c.Top = -1 }},
		{"maskbits", func(c *conf.Config) { c.MaskBits = 0 }},
		{"maskbits6", func(c *conf.Config) { c.MaskBits6 = 129 }},
		{"maxsubnets", func(c *conf.Config) { c.MaxSubnets = 0 }},
		{"maxconns", func(c *conf.Config) { c.MaxConns = 0 }},
	}
	for _, tt := range tests {
		c := conf.Default()
		c.Report = conf.MaxPeriod // no conflict with any average
		tt.change(c)
		err := c.Validate()
		if !errors.Is(err, conf.ErrOutOfRange) || !strings.HasPrefix(err.Error(), tt.name+":") {
			t.Errorf("%s: Validate() = %v, want %s: ... out of range", tt.name, err, tt.name)
		}
	}
}

// TestValidateReportShorter checks that a reporting period shorter than
// the averaging period is refused, naming both values and where each came
// from.
func TestValidateReportShorter(t *testing.T) {
	tests := []struct {
		text  string
		flags [][3]string // directive, value, origin
		want  string
	}{
		{"# periods\naverage 300\nreport 60\n", nil,
			"conflicting values: report 60 (test.conf:3) is shorter than average 300 (test.conf:2): the reporting period cannot be less than the averaging period"},
		{"average 120\n", [][3]string{{"report", "30", "flag -r/--report"}},
			"conflicting values: report 30 (flag -r/--report) is shorter than average 120 (test.conf:1): the reporting period cannot be less than the averaging period"},
		{"", [][3]string{{"report", "59", "flag -r/--report"}},
			"conflicting values: report 59 (flag -r/--report) is shorter than average 60 (default): the reporting period cannot be less than the averaging period"},
		{"report 100\n", [][3]string{{"average", "101", "flag -a/--average"}},
			"conflicting values: report 100 (test.conf:1) is shorter than average 101 (flag -a/--average): the reporting period cannot be less than the averaging period"},
	}
	for _, tt := range tests {
		c := parse(t, tt.text)
		for _, f := range tt.flags {
			if err := c.SetFrom(f[0], f[1], f[2]); err != nil {
				t.Fatal(err)
			}
		}
		err := c.Validate()
		if !errors.Is(err, conf.ErrConflict) || err.Error() != tt.want {
			t.Errorf("%q %v: Validate() = %v\nwant %s", tt.text, tt.flags, err, tt.want)
		}
	}
}

// TestOrigin checks where each value is said to come from: the last file
// line that set it, a flag, or the default.
func TestOrigin(t *testing.T) {
	c := parse(t, "# x\nfilter tcp\nsubnet 10.1.0.0\n\nfilter udp\nsubnet 10.2.0.0\ntop 5\n")
	if err := c.SetFrom("TOP", "6", "flag -t/--top"); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFrom("debug", "9", "flag -d/--debug"); err == nil {
		t.Fatal("SetFrom(debug, 9) succeeded")
	}
	for d, want := range map[string]string{
		"filter": "test.conf:5", "Filter": "test.conf:5", "subnet": "test.conf:6",
		"top": "flag -t/--top", "debug": "default", "report": "default", "nosuch": "default",
	} {
		if got := c.Origin(d); got != want {
			t.Errorf("Origin(%q) = %q, want %q", d, got, want)
		}
	}
	if c.Debug != 0 {
		t.Errorf("failed SetFrom set debug %d", c.Debug)
	}
}

// examplePath is the sample config shipped and installed by make install.
const examplePath = "../ipband.conf.example"

// TestParseReference parses the shipped example file as installed: every
// directive is there, commented out, so that it sets nothing and ipband
// runs in dynamic mode with the defaults.
func TestParseReference(t *testing.T) {
	c, err := conf.Load(examplePath)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := conf.Default()
	want.Source = examplePath
	if !reflect.DeepEqual(c, want) || c.Preloaded() != nil {
		t.Errorf("the example as installed sets %+v, want the defaults and dynamic mode", c)
	}

	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range conf.Directives() {
		if !regexp.MustCompile(`(?m)^#` + d + `[ \t]+\S`).Match(data) {
			t.Errorf("directive %q is not in %s as a commented-out line", d, examplePath)
		}
		if m := regexp.MustCompile(`(?mi)^[ \t]*` + d + `[ \t=].*`).Find(data); m != nil {
			t.Errorf("%s sets %q: %s", examplePath, d, m)
		}
	}
}

// TestParseReferenceUncommented parses the example file with every
// directive line uncommented, so that its examples stay valid.
func TestParseReferenceUncommented(t *testing.T) {
	data, err := os.ReadFile(examplePath)
	if err != nil {
		t.Fatal(err)
	}
	text := regexp.MustCompile(`(?m)^#(`+strings.Join(conf.Directives(), "|")+`)([ \t=])`).ReplaceAllString(string(data), "$1$2")
	c, err := conf.Parse(strings.NewReader(text), "uncommented.conf")
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Interface != "eth0" || !c.Promisc || c.Fork || c.Filter != "net 10.10.0.0/16" || c.OutFile != "ipband.txt" ||
		c.HTMLFile != "/var/www/html/ipband.html" || c.HTMLTitle != conf.DefaultHTMLTitle ||
		c.Bandwidth != 7 || c.Average != time.Minute || c.Report != 5*time.Minute || c.Top != 0 ||
		c.MaskBits != 24 || c.MaskBits6 != 64 || c.MTA != conf.DefaultMTA || c.MailFoot != "/etc/ipband.foot" ||
		!reflect.DeepEqual(c.MailTo, []string{"netadmin@example.com", "noc@example.com"}) {
		t.Errorf("unexpected values: %+v", c)
	}
	if len(c.LocalRange) != 4 || !c.LocalRange.Contains(netip.MustParseAddr("10.10.123.0")) || !c.LocalRange.Contains(netip.MustParseAddr("2001:db8::1")) {
		t.Errorf("local ranges %v, want 10.10., 192.168.1.0/24, 2001:db8::/32 and 172.16.0.1-172.16.0.200", c.LocalRange)
	}
	got := c.Preloaded()
	if len(got) != 8 {
		t.Fatalf("Preloaded() = %v, want 8 subnets", got)
	}
	p := netip.MustParsePrefix
	if got[0].Prefix != p("10.10.123.0/24") || got[0].Threshold != 22 ||
		got[1].Prefix != p("10.10.124.0/24") || got[1].In != 14 || got[1].Out != 14 || got[1].Capacity != 128000.0/8/1024 ||
		got[5].Prefix != p("10.10.44.0/24") || got[5].Threshold != 7 ||
		got[6].Prefix != p("10.20.0.0/16") || got[6].Threshold != 64 ||
		got[7].Prefix != p("2001:db8:1::/48") || got[7].Threshold != 100 {
		t.Errorf("Preloaded() = %v", got)
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.conf")
	if _, err := conf.Load(missing); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), missing) {
		t.Errorf("Load(missing) = %v, want not-exist naming the path", err)
	}
	c, err := conf.LoadDefaultFrom(missing)
	if err != nil || !reflect.DeepEqual(c, conf.Default()) {
		t.Errorf("LoadDefault with no file = %+v, %v; want Default(), nil", c, err)
	}

	path := filepath.Join(dir, "ipband.conf")
	if err := os.WriteFile(path, []byte("top 3\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = conf.LoadDefaultFrom(path)
	if err != nil || c.Top != 3 || c.Source != path {
		t.Errorf("LoadDefault with a file = %+v, %v; want top 3 from %s", c, err, path)
	}

	if err := os.WriteFile(path, []byte("top 3\ntop x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, load := range []func(string) (*conf.Config, error){conf.Load, conf.LoadDefaultFrom} {
		if _, err := load(path); err == nil || !strings.HasPrefix(err.Error(), path+":2: top: ") {
			t.Errorf("load of a bad file = %v, want %s:2: top: ...", err, path)
		}
	}

	if _, err := conf.Load(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("Load(directory) = %v, want an error naming it", err)
	}
}

func TestParseTooLarge(t *testing.T) {
	big := strings.Repeat("# padding line\n", conf.MaxFileSize/15+1)
	_, err := conf.Parse(strings.NewReader(big), "big.conf")
	if !errors.Is(err, conf.ErrTooLarge) || !strings.HasPrefix(err.Error(), "big.conf: ") {
		t.Errorf("Parse(large) = %v, want big.conf: file too large", err)
	}
}

func TestErrorMessage(t *testing.T) {
	base := errors.New("bad")
	tests := []struct {
		e    conf.Error
		want string
	}{
		{conf.Error{File: "a.conf", Line: 3, Key: "top", Err: base}, "a.conf:3: top: bad"},
		{conf.Error{File: "a.conf", Line: 3, Err: base}, "a.conf:3: bad"},
		{conf.Error{File: "a.conf", Err: base}, "a.conf: bad"},
		{conf.Error{Line: 3, Key: "top", Err: base}, "line 3: top: bad"},
		{conf.Error{Err: base}, "bad"},
	}
	for _, tt := range tests {
		if got := tt.e.Error(); got != tt.want {
			t.Errorf("%#v.Error() = %q, want %q", tt.e, got, tt.want)
		}
		if !errors.Is(&tt.e, base) {
			t.Errorf("%#v does not unwrap to its Err", tt.e)
		}
	}
}
