package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"ipband/conf"
)

// readRepo returns a file of the repository as text.
func readRepo(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", path))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// roffName writes a flag or directive name as a man page does, with its
// hyphens escaped.
func roffName(s string) string { return strings.ReplaceAll(s, "-", `\-`) }

// manEntries splits a man page into its tagged paragraphs, keyed by the
// first word of each tag (".TP" then ".BI maxconns \" N\""): the text up
// to the next .TP or .SH.
func manEntries(page string) map[string]string {
	entries := map[string]string{}
	parts := regexp.MustCompile(`(?m)^\.(TP|SH)\b.*\n`).Split(page, -1)
	for _, p := range parts {
		tag, _, _ := strings.Cut(p, "\n")
		f := strings.Fields(tag)
		if len(f) >= 2 && (f[0] == ".B" || f[0] == ".BI" || f[0] == ".BR") {
			entries[f[1]] = p
		}
	}
	return entries
}

// TestDirectivesDocumented checks every directive the conf package knows
// (conf.Directives) against the documentation: an entry of its own in
// docs/ipband.conf.5, naming its flag when it has one (the options
// table); a line, maybe commented out, in ipband.conf.example; and a
// mention in the CONFIG FILE section of docs/ipband.8.
func TestDirectivesDocumented(t *testing.T) {
	page5 := readRepo(t, "docs/ipband.conf.5")
	page8 := readRepo(t, "docs/ipband.8")
	example := readRepo(t, "ipband.conf.example")
	entries := manEntries(page5)
	section, ok := strings.CutPrefix(page8[strings.Index(page8, ".SH CONFIG FILE"):], ".SH CONFIG FILE")
	if !ok {
		t.Fatal("docs/ipband.8 has no CONFIG FILE section")
	}
	section, _, _ = strings.Cut(section, "\n.SH ")
	section = regexp.MustCompile(`\\f[BIRP]`).ReplaceAllString(section, " ") // font changes are not letters
	flags := map[string][]option{}
	for _, o := range options {
		flags[o.directive] = append(flags[o.directive], o)
	}
	directives := conf.Directives()
	if len(directives) < 20 {
		t.Fatalf("conf.Directives() = %q: too few", directives)
	}
	for _, d := range directives {
		entry, ok := entries[d]
		if !ok {
			t.Errorf("docs/ipband.conf.5 has no entry for directive %s (.TP then .BI %s ...)", d, d)
		}
		for _, o := range flags[d] {
			if ok && !strings.Contains(entry, roffName("--"+o.long)) {
				t.Errorf("docs/ipband.conf.5: the entry of %s does not name its flag --%s (as %s)", d, o.long, roffName("--"+o.long))
			}
		}
		if !regexp.MustCompile(`(?m)^#?` + regexp.QuoteMeta(d) + `[ \t]+\S`).MatchString(example) {
			t.Errorf("ipband.conf.example has no %s line (\"%s VALUE\" or \"#%s VALUE\")", d, d, d)
		}
		if !regexp.MustCompile(`\b` + regexp.QuoteMeta(d) + `\b`).MatchString(section) {
			t.Errorf("docs/ipband.8: the CONFIG FILE section does not list %s", d)
		}
	}
	for _, o := range options {
		if !slices.Contains(directives, o.directive) {
			t.Errorf("flag --%s sets %q, which conf.Directives does not list", o.long, o.directive)
		}
	}
}

// TestManPagesFormat runs groff over the man pages with every warning on,
// when groff is installed: a page with a roff mistake fails.
func TestManPagesFormat(t *testing.T) {
	groff, err := exec.LookPath("groff")
	if err != nil {
		t.Skip("groff is not installed: man pages not checked")
	}
	for _, page := range []string{"docs/ipband.8", "docs/ipband.conf.5"} {
		out, err := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z", filepath.Join("..", "..", page)).CombinedOutput()
		if err != nil || len(out) > 0 {
			t.Errorf("groff %s: %v\n%s", page, err, out)
		}
	}
}

// TestServiceUnit checks contrib/ipband.service with systemd-analyze
// verify, when it is installed: the unit with ExecStart pointing at a
// freshly built ipband and the man pages of Documentation= found in a man
// path holding this tree's pages must verify with no complaint.
func TestServiceUnit(t *testing.T) {
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze is not installed: contrib/ipband.service not verified")
	}
	bin := buildIpband(t)
	dir := t.TempDir()
	unit := readRepo(t, "contrib/ipband.service")
	if !strings.Contains(unit, "ExecStart=/usr/local/sbin/ipband ") {
		t.Fatal("contrib/ipband.service: ExecStart does not start /usr/local/sbin/ipband, which make install rewrites")
	}
	unit = strings.ReplaceAll(unit, "/usr/local/sbin/ipband", bin)
	path := filepath.Join(dir, "ipband.service")
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	man := filepath.Join(dir, "man")
	for page, sect := range map[string]string{"ipband.8": "man8", "ipband.conf.5": "man5"} {
		if err := os.MkdirAll(filepath.Join(man, sect), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(man, sect, page), []byte(readRepo(t, "docs/"+page)), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(analyze, "verify", path)
	cmd.Env = append(os.Environ(), "MANPATH="+man)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.Contains(string(out), "ipband") {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	for _, want := range []string{"AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN", "CapabilityBoundingSet=CAP_NET_RAW CAP_NET_ADMIN",
		"ProtectSystem=strict", "NoNewPrivileges=yes", "ExecReload=/bin/kill -HUP $MAINPID", "--foreground"} {
		if !strings.Contains(unit, want) {
			t.Errorf("contrib/ipband.service lacks %s", want)
		}
	}
}
