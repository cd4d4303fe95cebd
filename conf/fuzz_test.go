package conf_test

import (
	"errors"
	"math"
	"net/netip"
	"os"
	"strings"
	"testing"

	"ipband/conf"
)

// FuzzParse checks that Parse never panics, that every error is a
// *conf.Error naming the file and a line of the input, and that a parsed
// config validates and preloads masked prefixes with usable thresholds.
func FuzzParse(f *testing.F) {
	example, err := os.ReadFile("../ipband.conf.example")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(example))
	for line := range strings.SplitSeq(string(example), "\n") {
		f.Add(line)
		f.Add(strings.TrimPrefix(line, "#"))
	}
	for _, s := range []string{
		"",
		"\uFEFFinterface eth0\r\n",
		"\xfe\xffinterface eth0\n",
		"subnet 10.10.123.0 bandwidth 22\nsubnet 10.10.123.9\nmaskbits 16\n",
		"subnet 2001:db8::1 bandwidth 1\nmaskbits6 128\n",
		"subnet 0.0.0.0/0\nsubnet ::/0\n",
		"subnet\nsubnet 10.0.0.0\n",
		"subnet 10.0.0.0\nsubnet\n",
		"[section]\ninterface eth0\n",
		"debug 1\n[x\n",
		"; comment\n",
		"filter `tcp\n`\n",
		"htmltitle \"\"\"a\n\"\"\"\n",
		"htmltitle \"a\"\n",
		"top 1 \\\n2\n",
		"- x\n",
		"\"top\" 1\n",
		"top=1\n",
		"Top\t\t5\r\n",
		"top\v 5\n",
		"top\u00a05\n",
		"top \u00a05\u2028\n",
		"mailto a@b.c,d@e.f\n",
		"localrange 10.10.:192.168.1.0/24\nlocalrange 2001:db8::/32 10.0.0.1-10.0.0.9\n",
		"bandwidth 1e-300\nsubnet 10.0.0.0 bandwidth 1e308\n",
		"average 31536000\nreport 1\n",
		"\n\n\n\nmaskbits 33\n",
		"lenadj -65535\n",
		"average=30\nreport = 30 # half a minute\n",
		"subnet 10.10.1.0 bandwidth 22 # halifax\n",
		"bandwidth 1.5Mbit\nsubnet 10.10.1.0 bandwidth 176kbit/s\nsubnet 10.10.2.0 bandwidth 2MB\n",
		"bandwidth 128k\n",
		"mtastring \"/usr/sbin/sendmail -t -oi\" # default\n",
		"htmltitle \"a #1\" b\n",
		"htmltitle \"unclosed\n",
		"= 5\n",
		"fork ok\npromisc=off\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := conf.Parse(strings.NewReader(text), "fuzz.conf")
		lines := strings.Count(text, "\n") + 1
		if err != nil {
			checkParseError(t, err, lines)
			return
		}
		if err := c.Validate(); err != nil && !(errors.Is(err, conf.ErrConflict) && c.Report < c.Average) {
			t.Fatalf("Parse succeeded but Validate() = %v", err)
		}
		for _, s := range c.Subnets {
			if s.Line < 1 || s.Line > lines {
				t.Errorf("subnet %v on line %d of %d", s.Addr, s.Line, lines)
			}
		}
		checkPreloaded(t, c)
	})
}

func checkParseError(t *testing.T, err error, lines int) {
	t.Helper()
	var e *conf.Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v is not a *conf.Error", err)
	}
	if !strings.HasPrefix(err.Error(), "fuzz.conf:") {
		t.Errorf("error %q does not start with fuzz.conf:", err)
	}
	if e.Line < 1 || e.Line > lines {
		t.Errorf("error %q names line %d of %d", err, e.Line, lines)
	}
}

func checkPreloaded(t *testing.T, c *conf.Config) {
	t.Helper()
	pre := c.Preloaded()
	if len(pre) > len(c.Subnets) {
		t.Fatalf("%d preloaded from %d subnet lines", len(pre), len(c.Subnets))
	}
	seen := map[netip.Prefix]bool{}
	for _, p := range pre {
		if !p.Prefix.IsValid() || p.Prefix != p.Prefix.Masked() {
			t.Errorf("preloaded prefix %v is not masked", p.Prefix)
		}
		if seen[p.Prefix] {
			t.Errorf("prefix %v preloaded twice", p.Prefix)
		}
		seen[p.Prefix] = true
		if !(p.Threshold > 0) || math.IsInf(p.Threshold, 0) {
			t.Errorf("prefix %v has threshold %v", p.Prefix, p.Threshold)
		}
	}
}
