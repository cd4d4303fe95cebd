package report_test

import (
	"bufio"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// The schemas of the JSON outputs, and the goldens they must accept: this
// package's and the command's (replays through ipband).
var schemaGoldens = []struct {
	schema string
	globs  []string
}{
	{"../docs/ipband-report.schema.json", []string{"testdata/json-*.jsonl.golden", "../testdata/golden/json-*.jsonl.golden"}},
	{"../docs/ipband-stats.schema.json", []string{"testdata/stats-*.jsonl.golden", "../testdata/golden/stats-*.jsonl.golden"}},
}

// compileSchema compiles a schema with format assertions on (date-time,
// ipv4, ipv6 are checked, not only annotated).
func compileSchema(t *testing.T, path string) *jsonschema.Schema {
	t.Helper()
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// TestGoldensMatchSchema validates every line of every JSON golden against
// its schema in docs/.
func TestGoldensMatchSchema(t *testing.T) {
	for _, sg := range schemaGoldens {
		s := compileSchema(t, sg.schema)
		var files []string
		for _, g := range sg.globs {
			m, err := filepath.Glob(g)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, m...)
		}
		if len(files) < 2 {
			t.Errorf("%s: only %d golden files (%v): want this package's and the command's", sg.schema, len(files), files)
		}
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			sc := bufio.NewScanner(bytes.NewReader(data))
			sc.Buffer(nil, 16<<20)
			for sc.Scan() {
				n++
				v, err := jsonschema.UnmarshalJSON(bytes.NewReader(sc.Bytes()))
				if err == nil {
					err = s.Validate(v)
				}
				if err != nil {
					t.Errorf("%s:%d: %v", f, n, err)
				}
			}
			if n == 0 {
				t.Errorf("%s: no lines", f)
			}
		}
	}
}

// TestSchemaRejects checks that the schemas can fail: lines broken in the
// ways a careless change would break them are refused.
func TestSchemaRejects(t *testing.T) {
	report := compileSchema(t, "../docs/ipband-report.schema.json")
	stats := compileSchema(t, "../docs/ipband-stats.schema.json")
	good, err := os.ReadFile("testdata/json-reports.jsonl.golden")
	if err != nil {
		t.Fatal(err)
	}
	line := strings.SplitN(string(good), "\n", 2)[0]
	goodStats, err := os.ReadFile("testdata/stats-periods.jsonl.golden")
	if err != nil {
		t.Fatal(err)
	}
	sline := strings.SplitN(string(goodStats), "\n", 2)[0]
	cases := []struct {
		name   string
		schema *jsonschema.Schema
		old    string
		new    string
		base   string
	}{
		{"time without offset", report, `"time":"2001-08-06T11:04:37-04:00"`, `"time":"2001-08-06T11:04:37"`, line},
		{"classic date", report, `"time":"2001-08-06T11:04:37-04:00"`, `"time":"Mon Aug  6 11:04:37 2001"`, line},
		{"subnet without length", report, `"subnet":"10.10.123.0/24"`, `"subnet":"10.10.123.0"`, line},
		{"bad address", report, `"src":"10.10.123.173"`, `"src":"10.10.123.300"`, line},
		{"port out of range", report, `"src_port":4359`, `"src_port":70000`, line},
		{"missing kbps", report, `"kbps":32.63,`, ``, line},
		{"unknown field", report, `"top":20`, `"top":20,"extra":1`, line},
		{"wrong version", report, `"version":1`, `"version":2`, line},
		{"null connections", report, `"connections":[`, `"connections":null,"x":[`, line},
		{"zero periods", stats, `"periods":1`, `"periods":0`, sline},
		{"logging as text", stats, `"logging":false`, `"logging":"no"`, sline},
		{"negative packets", stats, `"packets":28000`, `"packets":-1`, sline},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(tc.base, tc.old) {
				t.Fatalf("golden line lacks %s", tc.old)
			}
			bad := strings.Replace(tc.base, tc.old, tc.new, 1)
			v, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.schema.Validate(v); err == nil {
				t.Errorf("schema accepts %s", bad[:min(len(bad), 200)])
			}
			v, _ = jsonschema.UnmarshalJSON(strings.NewReader(tc.base))
			if err := tc.schema.Validate(v); err != nil {
				t.Errorf("schema refuses the golden line: %v", err)
			}
		})
	}
}
