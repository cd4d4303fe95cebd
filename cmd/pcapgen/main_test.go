package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"ipband/cmd/pcapgen/internal/synth"
)

func TestRunExitStatus(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out.pcap")
	tests := []struct {
		name string
		args []string
		want int
		msg  string // in stderr
	}{
		{"ok", []string{"-s", "fragments", "-o", out}, 0, ""},
		{"long names", []string{"--scenario", "bench", "--output", out, "--count", "10", "--seed", "3", "--link", "ppp", "--format", "pcapng", "--snaplen", "200", "--start", "2020-01-01T00:00:00Z"}, 0, ""},
		{"help", []string{"-h"}, 0, "--scenario"},
		{"no scenario", []string{"-o", out}, 2, "required"},
		{"no output", []string{"-s", "classic"}, 2, "required"},
		{"unknown scenario", []string{"-s", "nope", "-o", out}, 2, "unknown scenario"},
		{"unknown link", []string{"-s", "classic", "-o", out, "--link", "token-ring"}, 2, "--link"},
		{"unknown format", []string{"-s", "classic", "-o", out, "--format", "erf"}, 2, "--format"},
		{"pcapng-only as pcap", []string{"-s", "malformed-pcapng-blocks", "-o", out, "--format", "pcap"}, 2, "needs --format pcapng"},
		{"negative count", []string{"-s", "bench", "-o", out, "-n", "-1"}, 2, "-n"},
		{"bad snaplen", []string{"-s", "bench", "-o", out, "--snaplen", "300000"}, 2, "--snaplen"},
		{"bad start", []string{"-s", "bench", "-o", out, "--start", "yesterday"}, 2, "--start"},
		{"start beyond pcap", []string{"-s", "fragments", "-o", out, "--start", "2200-01-01T00:00:00Z"}, 2, "out of range"},
		{"unknown flag", []string{"-s", "bench", "-o", out, "--bogus"}, 2, "bogus"},
		{"stray argument", []string{"-s", "bench", "-o", out, "extra"}, 2, "extra"},
		{"unwritable", []string{"-s", "fragments", "-o", filepath.Join(dir, "missing", "x.pcap")}, 1, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if got := run(tt.args, &stdout, &stderr); got != tt.want {
				t.Fatalf("exit %d, want %d; stderr: %s", got, tt.want, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.msg) {
				t.Errorf("stderr %q does not mention %q", stderr.String(), tt.msg)
			}
		})
	}
}

func TestRunList(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if got := run([]string{"--list"}, &stdout, &stderr); got != 0 {
		t.Fatalf("exit %d: %s", got, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	scs := synth.Scenarios()
	if len(lines) != len(scs) {
		t.Fatalf("%d lines for %d scenarios", len(lines), len(scs))
	}
	for i, sc := range scs {
		if f := strings.Fields(lines[i]); len(f) < 2 || f[0] != sc.Name {
			t.Errorf("line %d: %q, want %s first", i, lines[i], sc.Name)
		}
	}
}

// TestRunDeterministic runs the command twice with the same arguments, once
// to a file and once to standard output: the bytes are the same.
func TestRunDeterministic(t *testing.T) {
	dir := t.TempDir()
	args := func(out string) []string {
		return []string{"-s", "classic", "-o", out, "-n", "2000", "--seed", "42", "--link", "sll2"}
	}
	var files [][]byte
	for _, name := range []string{"a.pcap", "b.pcap"} {
		p := filepath.Join(dir, name)
		var stdout, stderr bytes.Buffer
		if got := run(args(p), &stdout, &stderr); got != 0 {
			t.Fatalf("exit %d: %s", got, stderr.String())
		}
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, b)
	}
	var stdout, stderr bytes.Buffer
	if got := run(args("-"), &stdout, &stderr); got != 0 {
		t.Fatalf("exit %d: %s", got, stderr.String())
	}
	if !bytes.Equal(files[0], files[1]) || !bytes.Equal(files[0], stdout.Bytes()) {
		t.Fatalf("outputs differ: %d, %d and %d bytes", len(files[0]), len(files[1]), stdout.Len())
	}
	if len(files[0]) < 24+2000*16 {
		t.Fatalf("output of %d bytes is too small for 2000 packets", len(files[0]))
	}
}

func TestRunRemovesPartialFile(t *testing.T) {
	out := filepath.Join(t.TempDir(), "x.pcap")
	var stdout, stderr bytes.Buffer
	if got := run([]string{"-s", "fragments", "-o", out, "--start", "2200-01-01T00:00:00Z"}, &stdout, &stderr); got != 2 {
		t.Fatalf("exit %d", got)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("partial file left behind: %v", err)
	}
}
