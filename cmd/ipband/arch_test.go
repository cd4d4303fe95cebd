package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// allowedImports are the ipband packages each package may import, as
// docs/ARCHITECTURE.md states them.
var allowedImports = map[string][]string{
	"ipband/cmd/ipband":                 {"ipband/conf", "ipband/mail", "ipband/report", "ipband/subnet", "ipband/watchdog", "ipband/watchdog/pcapfile", "ipband/watchdog/service"},
	"ipband/watchdog/service":           {"ipband/watchdog", "ipband/report"},
	"ipband/watchdog":                   {"ipband/watchdog/pcapfile", "ipband/subnet", "ipband/report"},
	"ipband/watchdog/pcapfile":          nil,
	"ipband/subnet":                     nil,
	"ipband/conf":                       {"ipband/subnet"},
	"ipband/report":                     nil,
	"ipband/mail":                       {"ipband/report"},
	"ipband/cmd/pcapgen":                {"ipband/cmd/pcapgen/internal/synth"},
	"ipband/cmd/pcapgen/internal/synth": nil,
}

// TestArchitecture checks the import rules of docs/ARCHITECTURE.md against
// the code, and that the document names every package.
func TestArchitecture(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}} {{join .Imports \" \"}}", "ipband/...").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "ARCHITECTURE.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := f[0]
		allowed, known := allowedImports[pkg]
		if !known {
			t.Errorf("package %s is not in the architecture's import rules", pkg)
			continue
		}
		if short := strings.TrimPrefix(pkg, "ipband/"); !strings.Contains(string(doc), "`"+short+"`") {
			t.Errorf("docs/ARCHITECTURE.md does not name %s", short)
		}
		for _, imp := range f[1:] {
			if !strings.HasPrefix(imp, "ipband/") {
				continue
			}
			ok := false
			for _, a := range allowed {
				ok = ok || a == imp
			}
			if !ok {
				t.Errorf("%s imports %s, which docs/ARCHITECTURE.md does not allow", pkg, imp)
			}
		}
	}
}
