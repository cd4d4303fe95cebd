package mailtest

import (
	"bufio"
	"crypto/x509"
	_ "embed"
	"encoding/json"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

//go:embed smtpserver.py
var aiosmtpdScript []byte

// python is Debian's Python, which python3-aiosmtpd serves (a python3
// earlier in PATH may be another one).
const python = "/usr/bin/python3"

// Aiosmtpd is a second, independent SMTP server for tests: Debian's
// aiosmtpd (python3-aiosmtpd, installed by make deps) on 127.0.0.1, with
// the test certificate, STARTTLS required and AUTH required after it.
type Aiosmtpd struct {
	Addr string
	dir  string
}

// StartAiosmtpd starts aiosmtpd accepting user and password with the AUTH
// mechanisms mechs ("PLAIN", "LOGIN"), or skips the test when it is not
// installed.
func StartAiosmtpd(t *testing.T, user, password string, mechs ...string) *Aiosmtpd {
	t.Helper()
	if err := exec.Command(python, "-c", "import aiosmtpd").Run(); err != nil {
		t.Skipf("aiosmtpd is not installed (python3-aiosmtpd; make deps installs it): %v", err)
	}
	dir := t.TempDir()
	cert, key := writeKeyPair(t, dir)
	script := filepath.Join(dir, "smtpserver.py") // not aiosmtpd.py, which would shadow the module
	if err := os.WriteFile(script, aiosmtpdScript, 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	if err := os.Mkdir(out, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	_, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(python, script, port, cert, key, user, password, strings.Join(mechs, ","), out)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }() //nolint:errcheck // stopped by the test
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill() //nolint:errcheck // it did not stop
			<-done
		}
	})
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ready <- sc.Scan() && sc.Text() == "ready"
	}()
	select {
	case ok := <-ready:
		if !ok {
			t.Fatalf("aiosmtpd did not start: %s", stderr.String())
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("aiosmtpd did not start within 30 s: %s", stderr.String())
	}
	return &Aiosmtpd{Addr: addr, dir: out}
}

// writeKeyPair writes the test certificate and its key as PEM files in
// dir.
func writeKeyPair(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	c, _ := cert()
	der, err := x509.MarshalPKCS8PrivateKey(c.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// Messages returns what aiosmtpd accepted so far, in order.
func (a *Aiosmtpd) Messages(t *testing.T) []Received {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(a.dir, "*.json"))
	num := func(n string) int { i, _ := strconv.Atoi(strings.TrimSuffix(filepath.Base(n), ".json")); return i }
	slices.SortFunc(names, func(x, y string) int { return num(x) - num(y) })
	var msgs []Received
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		var m struct {
			From, User, Data string
			To               []string
			TLS              bool
		}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		msgs = append(msgs, Received{From: m.From, To: m.To, Data: []byte(m.Data), TLS: m.TLS, User: m.User})
	}
	return msgs
}

// Hellos returns the EHLO lines the server got so far, each the name the
// client gave and "tls" or "plain" for whether the session was encrypted
// then: "gw.example.com plain".
func (a *Aiosmtpd) Hellos() []string {
	b, _ := os.ReadFile(filepath.Join(a.dir, "ehlo"))
	if len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}
