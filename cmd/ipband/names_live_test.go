//go:build cgo

package main

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// resolverAddr is where the live tests' unbound answers: an address of
// lo other than 127.0.0.1, on port 53, so that the capture sees DNS where
// the passive decoder looks for it and no other resolver is in the way.
const resolverAddr = "127.0.53.53"

// startUnbound runs Debian's unbound on resolverAddr:53, answering from a
// local zone: www.example.test is 127.0.80.80 and files.example.test
// 127.0.81.81, both with their PTR records; 127.0.82.82's PTR is
// liar.example.test, whose address is another. It is stopped at cleanup.
func startUnbound(t *testing.T) {
	t.Helper()
	bin, err := exec.LookPath("unbound")
	if err != nil {
		bin = "/usr/sbin/unbound"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("unbound is not installed (make deps installs it): %v", err)
	}
	if _, err := exec.LookPath("dig"); err != nil {
		t.Fatalf("dig is not installed (make deps installs dnsutils): %v", err)
	}
	dir := t.TempDir()
	cfg := filepath.Join(dir, "unbound.conf")
	if err := os.WriteFile(cfg, []byte(`server:
	interface: `+resolverAddr+`
	port: 53
	do-daemonize: no
	chroot: ""
	username: ""
	directory: "`+dir+`"
	pidfile: "`+dir+`/unbound.pid"
	use-syslog: no
	logfile: ""
	access-control: 127.0.0.0/8 allow
	do-not-query-localhost: yes
	module-config: "iterator"
	local-zone: "example.test." static
	local-data: "www.example.test. 300 IN A 127.0.80.80"
	local-data-ptr: "127.0.80.80 www.example.test."
	local-data: "files.example.test. 300 IN A 127.0.81.81"
	local-data-ptr: "127.0.81.81 files.example.test."
	local-data: "liar.example.test. 300 IN A 127.0.9.9"
	local-data-ptr: "127.0.82.82 liar.example.test."
remote-control:
	control-enable: no
`), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-d", "-c", cfg)
	var log lockedBuffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		cmd.Wait() //nolint:errcheck // killed
	})
	deadline := time.Now().Add(10 * time.Second)
	for dig(t, "www.example.test") != "127.0.80.80" {
		if time.Now().After(deadline) {
			t.Fatalf("unbound does not answer on %s:53; its log:\n%s", resolverAddr, log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dig asks the test's unbound for name's A record from 127.0.0.1, with
// Debian's dig, and returns the answer.
func dig(t *testing.T, name string) string {
	t.Helper()
	out, _ := exec.Command("dig", "@"+resolverAddr, "-b", "127.0.0.1", "+short", "+tries=1", "+time=1", name).Output()
	return strings.TrimSpace(string(out))
}

// TestLiveNamesFromDNS runs the command on lo while dig asks a real
// resolver (unbound, from a local zone) for www.example.test and this
// test then sends to the address it answered: the report names the
// remote side "www.example.test (dns)". The capture's filter keeps the
// test's own addresses only.
func TestLiveNamesFromDNS(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW)")
	}
	startUnbound(t)
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 80, 80)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()

	dir := t.TempDir()
	out, cfg := filepath.Join(dir, "report.txt"), filepath.Join(dir, "ipband.conf")
	if err := os.WriteFile(cfg, []byte("average 1\nreport 1\nsubnet 127.0.0.0 bandwidth 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr lockedBuffer
	env := environment{stdout: &stdout, stderr: &stderr, networks: filepath.Join(td, "none"),
		services: filepath.Join(td, "none"), protocols: filepath.Join(td, "none")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"-c", cfg, "-i", "lo", "-f", "host " + resolverAddr + " or host 127.0.80.80", "-o", out}, env)
	}()

	payload := make([]byte, 1200)
	deadline := time.Now().Add(30 * time.Second)
	const want = "www.example.test (dns)"
	for !strings.Contains(readFile(out), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no report naming %q after 30 s; report:\n%s\nstderr:\n%s", want, readFile(out), stderr.String())
		}
		// Ask again until the capture has seen an answer: it may take a
		// moment to start.
		if got := dig(t, "www.example.test"); got != "127.0.80.80" {
			t.Fatalf("dig answered %q", got)
		}
		for range 10 {
			if _, err := tx.Write(payload); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Fatalf("exit %d; stderr:\n%s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("ipband did not stop after its context was cancelled")
	}
	if !strings.Contains(stderr.String(), "DNS: ") || strings.Contains(stderr.String(), "DNS: 0 answers used") {
		t.Errorf("the exit summary counts no DNS answer:\n%s", stderr.String())
	}
}

// TestLiveReversePTR runs the ipband binary with resolve ptr, in a mount
// namespace of its own whose /etc/resolv.conf names the test's unbound,
// while this test sends to 127.0.81.81 (whose PTR name resolves back to
// it) and 127.0.82.82 (whose PTR name does not): a later report names the
// first "files.example.test (ptr)", never the second.
func TestLiveReversePTR(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo and a mount namespace need root")
	}
	unshare, err := exec.LookPath("unshare")
	if err != nil {
		t.Fatalf("unshare (util-linux) is not installed: %v", err)
	}
	startUnbound(t)
	bin := ipbandBinary(t)
	dir := t.TempDir()
	resolv, cfg, out := filepath.Join(dir, "resolv.conf"), filepath.Join(dir, "ipband.conf"), filepath.Join(dir, "report.txt")
	if err := os.WriteFile(resolv, []byte("nameserver "+resolverAddr+"\noptions timeout:1 attempts:1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, []byte("average 1\nreport 1\nsubnet 127.0.0.0 bandwidth 1\nresolve ptr\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var txs []*net.UDPConn
	for _, a := range []net.IP{net.IPv4(127, 0, 81, 81), net.IPv4(127, 0, 82, 82)} {
		rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: a})
		if err != nil {
			t.Fatal(err)
		}
		defer rx.Close()
		tx, err := net.DialUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, rx.LocalAddr().(*net.UDPAddr))
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Close()
		txs = append(txs, tx)
	}
	var stderr lockedBuffer
	cmd := exec.Command(unshare, "--mount", "--propagation", "private", "sh", "-c",
		`mount --bind "$1" /etc/resolv.conf && exec "$2" -c "$3" -i lo -f "host 127.0.81.81 or host 127.0.82.82" -o "$4"`,
		"sh", resolv, bin, cfg, out)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill() //nolint:errcheck // stopped below unless the test failed
	payload := make([]byte, 1200)
	deadline := time.Now().Add(30 * time.Second)
	const want = "files.example.test (ptr)"
	for !strings.Contains(readFile(out), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no report naming %q after 30 s; report:\n%s\nstderr:\n%s", want, readFile(out), stderr.String())
		}
		for range 10 {
			for _, tx := range txs {
				if _, err := tx.Write(payload); err != nil {
					t.Fatal(err)
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("ipband: %v; stderr:\n%s", err, stderr.String())
	}
	if r := readFile(out); strings.Contains(r, "liar.example.test") {
		t.Errorf("an unconfirmed PTR name was shown:\n%s", r)
	}
}
