//go:build cgo && linux

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"ipband/watchdog/vethtest"
)

// tableEnd is the line that ends each -d 2 table.
var tableEnd = strings.Repeat("*", 48) + "\n"

// TestLinkLostAndBack runs ipband on one end of a veth pair between two
// namespaces the test makes, deletes the pair while ipband runs and makes
// it again: ipband logs the loss and the return once each, keeps closing
// periods with zero traffic while the interface is gone, and counts the
// traffic the test sends across the pair again once it is back.
func TestLinkLostAndBack(t *testing.T) {
	v := vethtest.New(t, "t")
	bin := buildIpband(t)
	const port = 9
	var stdout, stderr lockedBuffer
	cmd := exec.Command("ip", "netns", "exec", v.NsA, bin, "-C", "-i", v.DevA, "-a", "1", "-b", "1000", "-d", "2",
		"-f", "udp and dst port 9", "-o", t.TempDir()+"/report.txt")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // stopped below when the test passes
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf(format+"\nstderr:\n%s\nstdout:\n%s", append(args, stderr.String(), stdout.String())...)
	}
	// waitFor polls cond for up to d.
	waitFor := func(d time.Duration, what string, cond func() bool, each func()) {
		t.Helper()
		deadline := time.Now().Add(d)
		for !cond() {
			if time.Now().After(deadline) {
				fail("timed out waiting for %s", what)
			}
			if each != nil {
				each()
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	payload := make([]byte, 500)
	counted := func(from int) bool { return strings.Contains(stdout.String()[from:], " 198.18.0.0 ") }
	conn := v.DialFromA(port)
	send := func() { conn.Write(payload) } //nolint:errcheck // fails while the link is gone
	waitFor(20*time.Second, "traffic counted before the link goes", func() bool { return counted(0) }, send)

	v.Del()
	waitFor(10*time.Second, "the loss to be logged", func() bool { return strings.Contains(stderr.String(), "capture lost") }, nil)
	lostAt := len(stdout.String())
	// Periods close from the clock while the interface is gone: at least
	// three whole tables with no subnet line (the first table after the
	// loss may hold the traffic of the period the link went in).
	emptyTables := func() int {
		n := 0
		for _, tbl := range tables(stdout.String()[lostAt:]) {
			if tbl == tableEnd {
				n++
			}
		}
		return n
	}
	waitFor(10*time.Second, "empty periods while the link is gone", func() bool { return emptyTables() >= 3 }, nil)

	v.Add()
	waitFor(40*time.Second, "the return to be logged", func() bool { return strings.Contains(stderr.String(), "capture back") }, nil)
	backAt := len(stdout.String())
	conn = v.DialFromA(port)
	waitFor(20*time.Second, "traffic counted after the link is back", func() bool { return counted(backAt) }, send)

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		fail("ipband: %v", err)
	}
	log := stderr.String()
	if n := strings.Count(log, "capture lost"); n != 1 {
		fail("loss logged %d times, want once", n)
	}
	if n := strings.Count(log, "capture back"); n != 1 {
		fail("return logged %d times, want once", n)
	}
	if gone := tables(stdout.String()[lostAt:backAt]); len(gone) < 2 || strings.Contains(strings.Join(gone[1:], ""), "198.18.0.0") {
		fail("tables while the interface was gone: %q, want empty ones", gone)
	}
}

// tables splits -d 2 output into whole tables, each ending in tableEnd.
func tables(out string) []string {
	var ts []string
	for _, tbl := range strings.SplitAfter(out, tableEnd) {
		if strings.HasSuffix(tbl, tableEnd) {
			ts = append(ts, tbl)
		}
	}
	return ts
}

// TestLinkLostAfterDrop runs ipband with --user nobody on a veth end and
// deletes the pair: without capabilities the capture cannot be reopened,
// so once the interface is back ipband exits with status 1, saying why,
// for its supervisor to restart it.
func TestLinkLostAfterDrop(t *testing.T) {
	v := vethtest.New(t, "t")
	nobody(t)
	bin := buildIpband(t)
	var stdout, stderr lockedBuffer
	cmd := exec.Command("ip", "netns", "exec", v.NsA, bin, "-C", "-i", v.DevA, "-a", "1", "-d", "2", "-o", "/dev/null", "--user", "nobody")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // it has exited when the test passes
	deadline := time.Now().Add(20 * time.Second)
	for strings.Count(stdout.String(), tableEnd) < 2 { // capturing, as nobody
		if time.Now().After(deadline) {
			t.Fatalf("no periods; stderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	v.Del()
	for !strings.Contains(stderr.String(), "capture lost") {
		if time.Now().After(deadline) {
			t.Fatalf("loss not logged; stderr:\n%s", stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(1500 * time.Millisecond) // a failed try or two while it is gone
	if isZombie(cmd.Process.Pid) {
		t.Fatalf("ipband ended while the interface was gone; stderr:\n%s", stderr.String())
	}
	v.Add()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		ee, ok := err.(*exec.ExitError)
		want := "capture: interface " + v.DevA + " lost and cannot be reopened: interface " + v.DevA +
			": Permission Denied: capture on " + v.DevA + " needs root or CAP_NET_RAW and CAP_NET_ADMIN (see ipband(8))\n"
		if !ok || ee.ExitCode() != exitFail || !strings.Contains(stderr.String(), want) {
			t.Errorf("ipband: %v; stderr:\n%s\nwant exit status 1 and %q", err, stderr.String(), want)
		}
	case <-time.After(40 * time.Second):
		t.Fatalf("ipband did not exit once the interface was back; stderr:\n%s", stderr.String())
	}
}

// TestLinkAmbientCapabilities runs ipband as the shipped systemd unit
// does: as an unprivileged user (nobody) holding CAP_NET_RAW and
// CAP_NET_ADMIN as ambient capabilities, with no drop (--user naming that
// user itself). It captures, and when its interface is deleted and made
// again it reopens the capture in place.
func TestLinkAmbientCapabilities(t *testing.T) {
	v := vethtest.New(t, "t")
	uid, gid := nobody(t)
	bin := buildIpband(t)
	for _, dir := range []string{filepath.Dir(bin), filepath.Dir(filepath.Dir(bin))} {
		if err := os.Chmod(dir, 0o755); err != nil { // let nobody run it
			t.Fatal(err)
		}
	}
	const capNetAdmin, capNetRaw = 12, 13
	var stdout, stderr lockedBuffer
	cmd := exec.Command(bin, "-C", "-i", v.DevA, "-a", "1", "-d", "2", "-o", os.DevNull, "--user", "nobody")
	cmd.Stdout, cmd.Stderr, cmd.Dir = &stdout, &stderr, "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential:  &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
		AmbientCaps: []uintptr{capNetAdmin, capNetRaw},
	}
	v.StartInA(cmd)
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() }) //nolint:errcheck // stopped below when the test passes
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(40 * time.Second)
		for !cond() {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s; stderr:\n%s", what, stderr.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitFor("periods", func() bool { return strings.Count(stdout.String(), tableEnd) >= 2 })
	status, err := os.ReadFile("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nUid:\t" + strconv.Itoa(uid) + "\t", "\nCapEff:\t0000000000003000\n", "\nCapAmb:\t0000000000003000\n"} {
		if !strings.Contains(string(status), want) {
			t.Errorf("status lacks %q:\n%s", want, status)
		}
	}
	v.Del()
	waitFor("the loss to be logged", func() bool { return strings.Contains(stderr.String(), "capture lost") })
	v.Add()
	waitFor("the return to be logged", func() bool { return strings.Contains(stderr.String(), "capture back") })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("ipband: %v; stderr:\n%s", err, stderr.String())
	}
}
