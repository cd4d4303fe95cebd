package conf_test

import (
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
	"testing"

	"ipband/conf"
)

// TestDirectivesMatchSetter checks that Directives lists exactly the keys
// of the setter switch in set.go, read from its source, and that Set knows
// each of them.
func TestDirectivesMatchSetter(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "set.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "setter" || fn.Recv == nil {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if cc, ok := n.(*ast.CaseClause); ok {
				for _, e := range cc.List {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, err := strconv.Unquote(lit.Value)
						if err != nil {
							t.Fatal(err)
						}
						keys = append(keys, s)
					}
				}
			}
			return true
		})
		return false
	})
	if len(keys) < 20 {
		t.Fatalf("found only %d directives in set.go's setter switch: %q", len(keys), keys)
	}
	got := conf.Directives()
	for _, k := range keys {
		if !slices.Contains(got, k) {
			t.Errorf("directive %q is in set.go but missing from Directives (conf/directives.go)", k)
		}
	}
	for _, k := range got {
		if !slices.Contains(keys, k) {
			t.Errorf("Directives lists %q, which set.go does not know", k)
		}
		if err := conf.Default().Set(k, "\x00"); err != nil && errors.Is(err, conf.ErrUnknownDirective) {
			t.Errorf("Set(%q) says unknown directive", k)
		}
	}
}

// TestUserDirective checks the user directive: one word, later lines win.
func TestUserDirective(t *testing.T) {
	cfg, err := conf.Parse(strings.NewReader("user daemon\nuser nobody\n"), "test.conf")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.User != "nobody" {
		t.Errorf("User = %q, want nobody", cfg.User)
	}
	_, err = conf.Parse(strings.NewReader("\nuser no body\n"), "test.conf")
	if err == nil || !errors.Is(err, conf.ErrInvalidValue) || !strings.Contains(err.Error(), "test.conf:2") {
		t.Errorf("two words: %v, want an invalid value at test.conf:2", err)
	}
}
