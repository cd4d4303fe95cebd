package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// allowedImports reads the import rules of docs/ARCHITECTURE.md: its
// table of packages, whose last column lists the ipband packages each may
// import, "nothing", or "everything below" (every package in the rows
// after it).
func allowedImports(doc string) map[string][]string {
	row := regexp.MustCompile("(?m)^\\| `([^`]+)` \\|.*\\| ([^|]+) \\|$")
	name := regexp.MustCompile("`([^`]+)`")
	var order []string
	rules := map[string][]string{}
	below := map[string]bool{}
	for _, m := range row.FindAllStringSubmatch(doc, -1) {
		pkg := "ipband/" + m[1]
		order = append(order, pkg)
		if strings.TrimSpace(m[2]) == "everything below" {
			below[pkg] = true
			continue
		}
		rules[pkg] = []string{}
		for _, n := range name.FindAllStringSubmatch(m[2], -1) {
			rules[pkg] = append(rules[pkg], "ipband/"+n[1])
		}
	}
	for i, pkg := range order {
		if below[pkg] {
			rules[pkg] = order[i+1:]
		}
	}
	return rules
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
	rules := allowedImports(string(doc))
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		pkg := f[0]
		allowed, known := rules[pkg]
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
