package main

import (
	"context"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestScreenshot renders the -w page of testdata/classic.pcap in headless
// Chromium, as `make screenshot` does for docs/status-page.png, and looks
// for the graphs in the picture: the logging shade, the blue rate line and
// the red threshold line must all be painted.
func TestScreenshot(t *testing.T) {
	chrome, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium not installed (apt-get install chromium, or make screenshot): status page not rendered")
	}
	if testing.Short() {
		t.Skip("-short: status page not rendered in chromium")
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "ipband.html")
	if r := ipband(t, "-c", td+"/classic.conf", "--networks", td+"/networks", "--read", td+"/classic.pcap", "-w", page, "-o", "OUT"); r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	shot := filepath.Join(dir, "page.png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, chrome, "--headless", "--no-sandbox", "--disable-gpu",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--no-first-run", "--hide-scrollbars", "--user-data-dir="+filepath.Join(dir, "profile"),
		"--window-size=960,1150", "--screenshot="+shot, "file://"+page)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 960 || b.Dy() != 1150 {
		t.Errorf("screenshot %v, want 960x1150", b)
	}
	// The legend under each graph uses the same colours, in short runs
	// (about 20 pixels): only a graph has a shade 40 pixels tall (the grid
	// line halves it) and a rate line 80 pixels long.
	if n := longestRun(img, 0xf6, 0xc8, 0xc8, false); n < 40 {
		t.Errorf("logging shade: tallest run of #f6c8c8 %d pixels, want 40 or more", n)
	}
	if n := longestRun(img, 0x1f, 0x5f, 0xbf, true); n < 80 {
		t.Errorf("rate line: longest run of #1f5fbf %d pixels, want 80 or more", n)
	}
}

// longestRun returns the longest run of pixels of img within 8 of the
// colour r, g, b: along rows when horizontal, else along columns.
func longestRun(img image.Image, r, g, b uint32, horizontal bool) int {
	near := func(a, b uint32) bool { return a>>8 <= b+8 && a>>8+8 >= b }
	bounds := img.Bounds()
	outer, inner := bounds.Dx(), bounds.Dy()
	if horizontal {
		outer, inner = inner, outer
	}
	best := 0
	for i := 0; i < outer; i++ {
		run := 0
		for j := 0; j < inner; j++ {
			x, y := i, j
			if horizontal {
				x, y = j, i
			}
			pr, pg, pb, _ := img.At(bounds.Min.X+x, bounds.Min.Y+y).RGBA()
			if near(pr, r) && near(pg, g) && near(pb, b) {
				run++
				best = max(best, run)
			} else {
				run = 0
			}
		}
	}
	return best
}
