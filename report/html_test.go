package report_test

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"ipband/report"
)

func TestWriteHTML(t *testing.T) {
	p := faultyPeriod()
	p.Lines[0].Name = `<script>alert("x")</script>`
	var b bytes.Buffer
	if err := report.WriteHTML(&b, "ipband & co <status>", p); err != nil {
		t.Fatal(err)
	}
	golden(t, "page", b.Bytes())
	page := b.String()

	for _, want := range []string{
		"<!DOCTYPE html>",
		`<meta http-equiv="refresh" content="60">`,
		"<title>ipband &amp; co &lt;status&gt;</title>",
		"<h1>ipband &amp; co &lt;status&gt;</h1>",
		`<time datetime="2001-08-07T10:54:00-04:00">Tue Aug  7 10:54:00 2001</time>`,
		"&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;",
		`<tr class="logging"><td>10.10.81.0</td><td></td><td class="num">1068.20</td><td class="num">25.50</td><td class="num">22.00</td><td>logging</td></tr>`,
		`<td>2001:db8:abcd:1234::/64</td><td>lab</td><td class="num">1024.00</td><td class="num">17.07</td><td class="num">100.00</td><td>ok</td>`,
		"<li>3 malformed frames</li>",
		"<li>12 evicted subnets</li>",
		"<li>4 evicted connections</li>",
		"<li>7 dropped packets</li>",
		"3 more idle periods, until Tue Aug  7 10:57:00 2001",
		"</html>\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script") {
		t.Error("page contains an unescaped <script")
	}
	if n := strings.Count(page, `class="logging"`); n != 1 {
		t.Errorf("%d logging rows, want 1", n)
	}
	if n := len(regexp.MustCompile(`<tr[ >]`).FindAllString(page, -1)); n != 1+len(p.Lines) {
		t.Errorf("%d table rows, want %d", n, 1+len(p.Lines))
	}
}

func TestWriteHTMLEmpty(t *testing.T) {
	tests := []struct {
		name    string
		p       *report.Period
		refresh string
	}{
		{"nil", nil, `content="60"`},
		{"five minutes", &report.Period{Start: time.Unix(0, 0), End: time.Unix(300, 0)}, `content="300"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := report.WriteHTML(&b, "t", tt.p); err != nil {
				t.Fatal(err)
			}
			page := b.String()
			for _, want := range []string{tt.refresh, "No subnet to show this period."} {
				if !strings.Contains(page, want) {
					t.Errorf("page lacks %q:\n%s", want, page)
				}
			}
			for _, bad := range []string{"<table>", `class="counters"`, "idle"} {
				if strings.Contains(page, bad) {
					t.Errorf("page has %q", bad)
				}
			}
		})
	}
}
