package report_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// voidElements have no end tag in HTML5.
var voidElements = map[string]bool{
	"area": true, "base": true, "br": true, "col": true, "embed": true, "hr": true,
	"img": true, "input": true, "link": true, "meta": true, "source": true,
	"track": true, "wbr": true,
}

// checkTags reads page as tokens and checks that it starts with the HTML5
// doctype and that every element is closed in order (SVG elements may
// close themselves), which the lenient parser would silently repair.
func checkTags(page []byte) error {
	z := html.NewTokenizer(bytes.NewReader(page))
	var stack []string
	first := true
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			if errors.Is(z.Err(), io.EOF) {
				break
			}
			return z.Err()
		}
		tok := z.Token()
		if first {
			if tt != html.DoctypeToken || !strings.EqualFold(tok.Data, "html") {
				return fmt.Errorf("page starts with %v %q, want <!DOCTYPE html>", tt, tok.Data)
			}
			first = false
			continue
		}
		switch tt {
		case html.StartTagToken:
			if !voidElements[tok.Data] {
				stack = append(stack, tok.Data)
			}
		case html.EndTagToken:
			if len(stack) == 0 || stack[len(stack)-1] != tok.Data {
				return fmt.Errorf("</%s> closes %v", tok.Data, stack)
			}
			stack = stack[:len(stack)-1]
		case html.SelfClosingTagToken:
			if !inSVG(stack) && !voidElements[tok.Data] {
				return fmt.Errorf("<%s/> outside svg", tok.Data)
			}
		}
	}
	if len(stack) > 0 {
		return fmt.Errorf("unclosed elements %v", stack)
	}
	return nil
}

func inSVG(stack []string) bool {
	for _, s := range stack {
		if s == "svg" {
			return true
		}
	}
	return false
}

// pageDoc is a parsed page and what the checks collected from it.
type pageDoc struct {
	root  *html.Node
	ids   map[string]bool
	hrefs []string
}

// checkPage parses page with golang.org/x/net/html and checks the
// structure a browser and a screen reader rely on: the doctype and
// well-formed tags (checkTags), one html, head, body and non-empty title,
// a charset and a viewport meta, no script, no event handler attributes,
// no external resource (src, link, url() in style), unique ids, every
// table row as wide as its header, every svg with a viewBox and a title.
func checkPage(t *testing.T, page []byte) *pageDoc {
	t.Helper()
	if err := checkTags(page); err != nil {
		t.Fatalf("page is not well formed: %v", err)
	}
	root, err := html.Parse(bytes.NewReader(page))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	d := &pageDoc{root: root, ids: make(map[string]bool)}
	count := make(map[atom.Atom]int)
	var charset, viewport bool
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			count[n.DataAtom]++
			for _, a := range n.Attr {
				switch {
				case strings.HasPrefix(a.Key, "on"):
					t.Errorf("<%s %s=…>: event handler", n.Data, a.Key)
				case a.Key == "src" || a.Key == "srcset":
					t.Errorf("<%s %s=%q>: external resource", n.Data, a.Key, a.Val)
				case a.Key == "id":
					if d.ids[a.Val] {
						t.Errorf("id %q used twice", a.Val)
					}
					d.ids[a.Val] = true
				case a.Key == "href":
					d.hrefs = append(d.hrefs, a.Val)
				case a.Key == "charset" && strings.EqualFold(a.Val, "utf-8"):
					charset = true
				case a.Key == "name" && a.Val == "viewport":
					viewport = true
				case a.Key == "style" && strings.Contains(a.Val, "url("):
					t.Errorf("<%s style=%q>: external resource", n.Data, a.Val)
				}
			}
			switch n.Data {
			case "script", "iframe", "object", "embed", "link", "img":
				t.Errorf("page has <%s>", n.Data)
			case "title":
				if n.Parent.Data == "head" && strings.TrimSpace(nodeText(n)) == "" {
					t.Error("empty title")
				}
			case "svg":
				if attr(n, "viewBox") == "" || child(n, "title") == nil {
					t.Error("svg without viewBox or title")
				}
			case "table":
				checkTable(t, n)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(root)
	for _, a := range []atom.Atom{atom.Html, atom.Head, atom.Body} {
		if count[a] != 1 {
			t.Errorf("%d <%s> elements, want 1", count[a], a)
		}
	}
	if !charset || !viewport {
		t.Errorf("charset meta %v, viewport meta %v; want both", charset, viewport)
	}
	if strings.Contains(string(page), "url(") {
		t.Error("page loads something through url()")
	}
	return d
}

// checkTable checks that each body row has as many cells as the header
// row, when there is one.
func checkTable(t *testing.T, table *html.Node) {
	t.Helper()
	want := -1
	for _, sec := range children(table) {
		for _, tr := range children(sec) {
			n := len(children(tr))
			switch {
			case sec.Data == "thead":
				want = n
			case want >= 0 && n != want:
				t.Errorf("table row with %d cells, header has %d", n, want)
			}
		}
	}
}

// text returns the text inside n.
func nodeText(n *html.Node) string {
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func child(n *html.Node, tag string) *html.Node {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode && c.Data == tag {
			return c
		}
	}
	return nil
}

func children(n *html.Node) []*html.Node {
	var out []*html.Node
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.ElementNode {
			out = append(out, c)
		}
	}
	return out
}

// find returns the elements under n for which match is true, in document
// order.
func find(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// TestCheckTags shows the checks catch what they look for.
func TestCheckTags(t *testing.T) {
	for _, bad := range []string{
		"<html><body></body></html>",
		"<!DOCTYPE html><html><body><p><b>x</p></b></body></html>",
		"<!DOCTYPE html><html><body><div></body></html>",
		"<!DOCTYPE html><html><body><div/></body></html>",
	} {
		if checkTags([]byte(bad)) == nil {
			t.Errorf("checkTags(%q) passed", bad)
		}
	}
	good := `<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><svg viewBox="0 0 1 1"><title>t</title><rect/></svg></body></html>`
	if err := checkTags([]byte(good)); err != nil {
		t.Errorf("checkTags(%q): %v", good, err)
	}
}

// nodeT is a parsed HTML node.
type nodeT = html.Node
