package prometheus_test

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
)

const dashboardFile = "../grafana/ipband.json"

// queries returns the PromQL of every panel target ("expr") and every
// template variable ("query", a string or an object with one) in the
// dashboard, and the panels' titles.
func queries(t *testing.T) (exprs, vars, titles []string) {
	t.Helper()
	b, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title      string `json:"title"`
			Datasource struct {
				UID string `json:"uid"`
			} `json:"datasource"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
		Templating struct {
			List []struct {
				Type  string          `json:"type"`
				Query json.RawMessage `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(b, &dash); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	for _, p := range dash.Panels {
		titles = append(titles, p.Title)
		if p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: data source %q, want the dashboard's ${datasource}", p.Title, p.Datasource.UID)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
	}
	for _, v := range dash.Templating.List {
		if v.Type != "query" {
			continue
		}
		var q struct {
			Query string `json:"query"`
		}
		if err := json.Unmarshal(v.Query, &q); err != nil {
			t.Fatalf("variable query %s: %v", v.Query, err)
		}
		vars = append(vars, q.Query)
	}
	return exprs, vars, titles
}

// TestDashboardNamesRealMetrics: every metric and label that the
// dashboard's queries and variables name is in a real scrape of ipband
// (the dashboard works without the recording rules), and it has the panels
// it promises.
func TestDashboardNamesRealMetrics(t *testing.T) {
	v := newVocabulary(realScrape(t))
	exprs, vars, titles := queries(t)
	for _, q := range exprs {
		v.checkQuery(t, dashboardFile, q, nil)
	}
	labelValues := regexp.MustCompile(`^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?,\s*([a-zA-Z_][a-zA-Z0-9_]*)\)$`)
	for _, q := range vars {
		m := labelValues.FindStringSubmatch(q)
		if m == nil {
			t.Errorf("variable query %q: want label_values(metric{...}, label)", q)
			continue
		}
		v.checkQuery(t, dashboardFile, m[1]+m[2], nil)
		if !v.metrics[m[1]][m[3]] {
			t.Errorf("variable query %q: %s has no label %s", q, m[1], m[3])
		}
	}
	if len(vars) < 3 {
		t.Errorf("variables %q: want job, instance and subnet", vars)
	}
	for _, want := range []string{"Load by subnet", "Rate against threshold", "Logging periods", "Drops and evictions", "Mail queue"} {
		found := false
		for _, title := range titles {
			found = found || title == want
		}
		if !found {
			t.Errorf("no panel %q in %v", want, titles)
		}
	}
}
