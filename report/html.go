package report

import (
	"bytes"
	"fmt"
	"html/template"
	"io"
	"strconv"
	"sync"
	"time"
)

// defaultRefresh is the refresh interval of a page whose period has no
// length (a zero Period), in seconds.
const defaultRefresh = 60

// pageTemplate is the -w status page: plain HTML5 and a little CSS, no
// script.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="refresh" content="{{.Refresh}}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: sans-serif; margin: 1em 2em; }
table { border-collapse: collapse; }
th, td { padding: 0.2em 0.8em; border-bottom: 1px solid #ccc; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.logging { background: #fdd; font-weight: bold; }
.counters { color: #a00; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p>Period ending <time datetime="{{.EndISO}}">{{.End}}</time> ({{.Seconds}} s).</p>
{{- if .Repeat}}
<p>{{.Repeat}}</p>
{{- end}}
{{- if .Rows}}
<table>
<thead>
<tr><th>Subnet</th><th>Name</th><th>kB</th><th>kBps</th><th>Threshold (kBps)</th><th>Status</th></tr>
</thead>
<tbody>
{{- range .Rows}}
<tr{{if .Logging}} class="logging"{{end}}><td>{{.Subnet}}</td><td>{{.Name}}</td><td class="num">{{.KB}}</td><td class="num">{{.KBps}}</td><td class="num">{{.Threshold}}</td><td>{{if .Logging}}logging{{else}}ok{{end}}</td></tr>
{{- end}}
</tbody>
</table>
{{- else}}
<p>No subnet to show this period.</p>
{{- end}}
{{- if .Counters}}
<ul class="counters">
{{- range .Counters}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
</body>
</html>
`

// page parses pageTemplate once.
var page = sync.OnceValues(func() (*template.Template, error) {
	return template.New("page").Parse(pageTemplate)
})

// pageData is what pageTemplate shows.
type pageData struct {
	Title       string
	Refresh     int
	Seconds     int
	End, EndISO string
	Repeat      string
	Rows        []pageRow
	Counters    []string
}

// pageRow is one subnet of the page.
type pageRow struct {
	Subnet, Name        string
	KB, KBps, Threshold string
	Logging             bool
}

// WriteHTML writes the -w status page of period p: a small HTML5 page,
// readable without JavaScript, that refreshes itself after the period's
// length (60 s for a period with no length). It shows title as the page
// title and heading, the end of the period, a table of the subnets with
// their name, kB, kBps, threshold and status ("logging" rows are
// highlighted with class "logging", the others say "ok"), and the fault
// counters that are non-zero. All text is HTML-escaped. The page is
// rendered in full before the one Write call, so a rendering error writes
// nothing. A nil p is an empty period.
func WriteHTML(w io.Writer, title string, p *Period) error {
	t, err := page()
	if err != nil {
		return fmt.Errorf("html page template: %w", err)
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, newPageData(title, p)); err != nil {
		return fmt.Errorf("render html page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write html page: %w", err)
	}
	return nil
}

// newPageData prepares p for the template.
func newPageData(title string, p *Period) *pageData {
	if p == nil {
		p = &Period{}
	}
	secs := int(p.End.Sub(p.Start).Round(time.Second) / time.Second)
	d := &pageData{
		Title:   title,
		Refresh: secs,
		Seconds: secs,
		End:     p.End.Format(dateLayout),
		EndISO:  p.End.Format(time.RFC3339),
		Rows:    make([]pageRow, 0, len(p.Lines)),
	}
	if d.Refresh <= 0 {
		d.Refresh = defaultRefresh
	}
	if p.Repeat > 0 {
		d.Repeat = string(appendCount(nil, uint64(p.Repeat), "more idle period")) +
			", until " + endOfRepeat(p).Format(dateLayout)
	}
	for _, l := range p.Lines {
		d.Rows = append(d.Rows, pageRow{
			Subnet:    string(appendSubnet(nil, l.Subnet, p.MaskBits)),
			Name:      l.Name,
			KB:        strconv.FormatFloat(kB(l.Bytes), 'f', 2, 64),
			KBps:      strconv.FormatFloat(l.KBps, 'f', 2, 64),
			Threshold: strconv.FormatFloat(l.Threshold, 'f', 2, 64),
			Logging:   l.Logging,
		})
	}
	s := p.Stats
	for _, c := range [...]struct {
		n    uint64
		what string
	}{
		{s.Malformed, "malformed frame"},
		{s.EvictedSubnets, "evicted subnet"},
		{s.EvictedConns, "evicted connection"},
		{s.Dropped, "dropped packet"},
	} {
		if c.n > 0 {
			d.Counters = append(d.Counters, string(appendCount(nil, c.n, c.what)))
		}
	}
	return d
}
