// Package mailtest runs an SMTP server on 127.0.0.1 for tests: go-smtp's
// server with a self-signed certificate made in the test binary, STARTTLS
// or implicit TLS, AUTH PLAIN and LOGIN, and replies, refusals and stalls
// set by the test, recording every message it accepts. It serves the mail
// package's tests and the command's. StartAiosmtpd runs a second,
// independent server, Debian's aiosmtpd, with STARTTLS and AUTH required.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// cert is a self-signed certificate for 127.0.0.1 and localhost, made
// once per test binary, and a pool that trusts it.
var cert = sync.OnceValues(func() (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		panic(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "ipband test SMTP server"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		panic(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		panic(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool
})

// WriteCA writes the test certificate as PEM to dir/ca.pem and returns the
// path.
func WriteCA(t *testing.T, dir string) string {
	t.Helper()
	cert, _ := cert()
	p := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Certificate[0]}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// Received is one message a test server accepted.
type Received struct {
	From string
	To   []string
	Data []byte
	TLS  bool   // the session was encrypted
	User string // the authenticated user, "" when none
}

// Config says how a test server behaves.
type Config struct {
	ImplicitTLS bool              // TLS from the first byte
	NoTLS       bool              // offer no STARTTLS
	Users       map[string]string // AUTH Users and passwords; nil: no AUTH, none required
	Mechs       []string          // AUTH mechanisms offered; default PLAIN
	RejectRcpt  map[string]bool   // recipients refused with 550
	MailReplies []error           // replies to MAIL FROM, one per transaction, then OK
	DataReplies []error           // replies to the end of DATA, one per message, then OK
	Stall       bool              // DATA stalls mid-message until Release is called
}

// Server is a go-smtp server on 127.0.0.1 that records what it accepts.
type Server struct {
	Addr string
	cfg  Config
	srv  *smtp.Server

	mu       sync.Mutex // guards the following fields
	msgs     []Received
	mails    int           // MAIL FROM commands seen
	datas    int           // DATA ends seen
	stalled  chan struct{} // closed when a DATA has stalled
	released chan struct{} // closed by release
}

// Start starts a test server on a free port of 127.0.0.1.
func Start(t *testing.T, cfg Config) *Server {
	t.Helper()
	return StartOn(t, "127.0.0.1:0", cfg)
}

// FreeAddr returns a port of 127.0.0.1 that nothing listens on (yet).
func FreeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// StartOn starts a test server listening on addr.
func StartOn(t *testing.T, addr string, cfg Config) *Server {
	t.Helper()
	cert, _ := cert()
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	s := &Server{cfg: cfg, stalled: make(chan struct{}), released: make(chan struct{})}
	if s.cfg.Mechs == nil {
		s.cfg.Mechs = []string{sasl.Plain}
	}
	s.srv = smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		_, isTLS := c.TLSConnectionState()
		return &session{s: s, tls: isTLS}, nil
	}))
	s.srv.Domain = "localhost"
	s.srv.ErrorLog = log.New(io.Discard, "", 0)
	s.srv.ReadTimeout, s.srv.WriteTimeout = time.Minute, time.Minute
	var ln net.Listener
	var err error
	if cfg.ImplicitTLS {
		ln, err = tls.Listen("tcp", addr, tlsCfg)
	} else {
		ln, err = net.Listen("tcp", addr)
		if !cfg.NoTLS {
			s.srv.TLSConfig = tlsCfg
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = ln.Addr().String()
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.srv.Serve(ln) //nolint:errcheck // ends with Close
	}()
	t.Cleanup(func() {
		s.Release()
		s.srv.Close()
		<-done
	})
	return s
}

// Messages returns what the server accepted so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.msgs...)
}

// Counts returns the MAIL FROM and DATA ends seen so far.
func (s *Server) Counts() (mails, datas int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.mails, s.datas
}

// Stalled is closed once a DATA command has stalled (Config.Stall).
func (s *Server) Stalled() <-chan struct{} { return s.stalled }

// Release lets stalled DATA commands go on.
func (s *Server) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.released:
	default:
		close(s.released)
	}
}

// session is one client connection of a Server.
type session struct {
	s    *Server
	tls  bool
	user string
	from string
	to   []string
}

func (ss *session) AuthMechanisms() []string {
	if ss.s.cfg.Users == nil {
		return nil
	}
	return ss.s.cfg.Mechs
}

func (ss *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if p, ok := ss.s.cfg.Users[user]; !ok || p != pass {
			return smtp.ErrAuthFailed
		}
		ss.user = user
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass) }), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *session) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.cfg.Users != nil && ss.user == "" {
		return smtp.ErrAuthRequired
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.mails++
	if len(ss.s.cfg.MailReplies) > 0 {
		err := ss.s.cfg.MailReplies[0]
		ss.s.cfg.MailReplies = ss.s.cfg.MailReplies[1:]
		if err != nil {
			return err
		}
	}
	ss.from = from
	return nil
}

func (ss *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.cfg.RejectRcpt[to] {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user here"}
	}
	ss.to = append(ss.to, to)
	return nil
}

func (ss *session) Data(r io.Reader) error {
	if ss.s.cfg.Stall {
		var first [64]byte
		io.ReadFull(r, first[:]) //nolint:errcheck // a part of the message, then stall
		ss.s.mu.Lock()
		select {
		case <-ss.s.stalled:
		default:
			close(ss.s.stalled)
		}
		ss.s.mu.Unlock()
		<-ss.s.released
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.s.mu.Lock()
	defer ss.s.mu.Unlock()
	ss.s.datas++
	if len(ss.s.cfg.DataReplies) > 0 {
		err := ss.s.cfg.DataReplies[0]
		ss.s.cfg.DataReplies = ss.s.cfg.DataReplies[1:]
		if err != nil {
			return err
		}
	}
	ss.s.msgs = append(ss.s.msgs, Received{From: ss.from, To: ss.to, Data: b, TLS: ss.tls, User: ss.user})
	return nil
}

func (ss *session) Reset()        { ss.from, ss.to = "", nil }
func (ss *session) Logout() error { return nil }

// loginServer is the server side of AUTH LOGIN, which go-sasl lacks: the
// username comes as the initial response, then the password.
type loginServer struct {
	check func(user, pass string) error
	user  []byte
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch {
	case l.step == 1 && resp == nil:
		l.step = 0
		return []byte("Username:"), false, nil
	case l.step == 1:
		l.user = resp
		return []byte("Password:"), false, nil
	case l.step == 2:
		return nil, true, l.check(string(l.user), string(resp))
	}
	return nil, false, sasl.ErrUnexpectedClientResponse
}

// CertPool returns a pool that trusts the test servers' certificate, for a
// client's tls.Config.
func CertPool() *x509.CertPool {
	_, pool := cert()
	return pool
}
