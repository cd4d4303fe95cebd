package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/animation"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// loggingCapture writes a capture of 10.0.0.0/24 over its threshold of
// 1 kB/s for five and a half minutes: with -a 60 -r 120 it logs from the
// end of the first period (10:01), is reported at 10:03 and 10:05, and
// still logs when the file ends.
func loggingCapture(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	frame := udpFrame(t, 1400)
	start := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	for i := range 330 {
		ci := gopacket.CaptureInfo{Timestamp: start.Add(time.Duration(i) * time.Second), CaptureLength: len(frame), Length: len(frame)}
		if err := w.WritePacket(ci, frame); err != nil {
			t.Fatal(err)
		}
	}
}

// browser starts Debian's chromium, headless, through chromedp, with a
// profile of its own; it skips when chromium is not installed.
func browser(t *testing.T) context.Context {
	t.Helper()
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (make deps installs it): status page not checked in a browser")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	actx, acancel := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chrome),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
	)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("chromium: %v", err)
	}
	return bctx
}

// cdpCall runs one protocol command as a step of chromedp.Do.
func cdpCall[P any](cmd cdp.Command[P, cdp.Empty], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, cmd, params)
		return err
	})
}

// darkMode emulates prefers-color-scheme: dark, or light.
func darkMode(dark bool) chromedp.Action[chromedp.Void] {
	scheme := "light"
	if dark {
		scheme = "dark"
	}
	return cdpCall(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}},
	})
}

// eval runs a JavaScript expression in the page and returns its value.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// rect is an element's box in the viewport, and the viewport's width.
type rect struct {
	Left, Right, Top, Bottom float64
	Width                    float64 // window.innerWidth
	ScrollWidth              float64 // of the document
	ClipRight                float64 // right edge of the box that scrolls it (.wrap), or Width
	Hidden                   float64 // width of its table that its box scrolls out of view
}

// visible reports whether the box is inside the viewport and not
// scrolled out of its container.
func (r *rect) visible() bool {
	return r.Left >= 0 && r.Top >= 0 && r.Right <= r.Width && r.Right <= r.ClipRight && r.Hidden <= 0
}

const rectJS = `(() => {
	const e = document.querySelector(%q);
	if (!e) return null;
	const r = e.getBoundingClientRect();
	const wrap = e.closest(".wrap");
	return {Left: r.left, Right: r.right, Top: r.top, Bottom: r.bottom,
		Width: window.innerWidth, ScrollWidth: document.documentElement.scrollWidth,
		ClipRight: wrap ? wrap.getBoundingClientRect().right : window.innerWidth,
		Hidden: wrap ? wrap.scrollWidth - wrap.clientWidth : 0};
})()`

// TestPageInBrowser opens the status page of a replay that ends while a
// subnet with a long name logs, in chromium: at 1280 and 400 pixels wide
// the row's report link is inside the viewport, with no sideways scroll;
// the banner's link opens that report on the reports page; the dark
// scheme applies; and the page turns stale after two periods with no new
// page (animations run 100 times faster).
func TestPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: status page not checked in chromium")
	}
	ctx := browser(t)
	dir := t.TempDir()
	capture, page, networks := filepath.Join(dir, "logging.pcap"), filepath.Join(dir, "ipband.html"), filepath.Join(dir, "networks")
	loggingCapture(t, capture)
	if err := os.WriteFile(networks, []byte("branch-office-halifax-nova-scotia-on-the-128k-line 10.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := ipband(t, "-C", "--read", capture, "--networks", networks, "-a", "60", "-r", "120", "-b", "1", "-w", page, "-o", "OUT")
	if r.code != 0 || strings.Count(r.outfile, "Network: 10.0.0.0") != 2 {
		t.Fatalf("exit %d, want 2 reports; stderr:\n%s\nreports:\n%s", r.code, r.stderr, r.outfile)
	}
	url := "file://" + page
	link := "tr.logging td.reports a"
	for _, width := range []int64{1280, 400} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate(url)); err != nil {
			t.Fatal(err)
		}
		box := eval[*rect](t, ctx, fmt.Sprintf(rectJS, link))
		if box == nil {
			t.Fatalf("%d px: no report link in a logging row", width)
		}
		if !box.visible() {
			t.Errorf("%d px: the report link is at x %.0f-%.0f, outside the viewport of %.0f px or its table's box (to %.0f, %.0f px scrolled out)", width, box.Left, box.Right, box.Width, box.ClipRight, box.Hidden)
		}
		if box.ScrollWidth > box.Width {
			t.Errorf("%d px: the page is %.0f px wide: it scrolls sideways", width, box.ScrollWidth)
		}
	}

	// The classic capture's page, with its wide columns (in, out, p95):
	// at 1280, 960 and 400 px the links of the Reports column are in view,
	// not scrolled out of the table's box (at 960 they were).
	classic := filepath.Join(dir, "classic.html")
	if r := ipband(t, "-c", td+"/classic.conf", "--networks", td+"/networks", "--read", td+"/classic.pcap", "-w", classic, "-o", "OUT"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, width := range []int64{1280, 960, 400} {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(width, 900), chromedp.Navigate("file://"+classic)); err != nil {
			t.Fatal(err)
		}
		box := eval[*rect](t, ctx, fmt.Sprintf(rectJS, "td.reports a"))
		if box == nil {
			t.Fatalf("classic page, %d px: no report link", width)
		}
		if !box.visible() {
			t.Errorf("classic page, %d px: a report link is at x %.0f-%.0f, outside the viewport of %.0f px or its table's box (to %.0f, %.0f px scrolled out)", width, box.Left, box.Right, box.Width, box.ClipRight, box.Hidden)
		}
	}

	// The banner's link opens the subnet's latest report.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	want, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("div.hot a.latest"), "href"))
	if err != nil || !want.Exists {
		t.Fatalf("no link to the latest report in the banner: %v", err)
	}
	if err := chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("div.hot a.latest")),
		chromedp.WaitReady(chromedp.CSS("section:target h2")),
	); err != nil {
		t.Fatalf("banner link: %v", err)
	}
	target := eval[string](t, ctx, `location.pathname.split("/").pop() + location.hash + " " + document.querySelector("section:target h2").textContent`)
	if !strings.HasPrefix(target, want.Value+" 10.0.0.0 branch-office-halifax") || !strings.Contains(target, "10:05:00") {
		t.Errorf("the banner link %q opened %q, want the report of 10:05", want.Value, target)
	}

	// The dark scheme.
	if err := chromedp.Do(ctx, darkMode(true), chromedp.Navigate(url)); err != nil {
		t.Fatal(err)
	}
	if bg := eval[string](t, ctx, `getComputedStyle(document.body).backgroundColor`); bg != "rgb(18, 18, 18)" {
		t.Errorf("dark scheme: body background %s, want rgb(18, 18, 18)", bg)
	}

	// Stale after two periods (120 s; 1.2 s at 100 times the speed).
	if err := chromedp.Do(ctx, darkMode(false),
		cdpCall(animation.Enable, cdp.Empty{}),
		cdpCall(animation.SetPlaybackRate, animation.SetPlaybackRateParams{PlaybackRate: 100}),
		chromedp.Navigate(url),
	); err != nil {
		t.Fatal(err)
	}
	stale := `getComputedStyle(document.querySelector(".stale")).visibility`
	before := eval[string](t, ctx, stale)
	if err := chromedp.Do(ctx, chromedp.Sleep(3*time.Second)); err != nil {
		t.Fatal(err)
	}
	if after := eval[string](t, ctx, stale); before != "hidden" || after != "visible" {
		t.Errorf("stale banner: %s at load, %s after two periods; want hidden, then visible", before, after)
	}
}
