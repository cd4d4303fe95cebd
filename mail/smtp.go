package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"ipband/report"
)

// TLSMode is how an SMTP sender protects its connection.
type TLSMode int

const (
	// StartTLS connects in the clear and requires the server to offer
	// STARTTLS (smtptls starttls, the default): a server that does not is a
	// failed attempt, never a plain-text submission.
	StartTLS TLSMode = iota
	// ImplicitTLS speaks TLS from the first byte (smtptls tls, port 465).
	ImplicitTLS
	// NoTLS never encrypts (smtptls none): for a relay on the same host.
	NoTLS
)

// ParseTLSMode parses the smtptls directive: "starttls", "tls" or "none".
func ParseTLSMode(s string) (TLSMode, error) {
	switch strings.ToLower(s) {
	case "starttls":
		return StartTLS, nil
	case "tls":
		return ImplicitTLS, nil
	case "none":
		return NoTLS, nil
	}
	return 0, fmt.Errorf("mail: smtp tls mode %q: want starttls, tls or none", s)
}

// String returns the directive value of m.
func (m TLSMode) String() string {
	switch m {
	case StartTLS:
		return "starttls"
	case ImplicitTLS:
		return "tls"
	case NoTLS:
		return "none"
	}
	return fmt.Sprintf("TLSMode(%d)", int(m))
}

// defaultSMTPTimeout bounds an SMTP session when ctx has no deadline.
const defaultSMTPTimeout = 2 * time.Minute

// SMTP is a Sender that submits messages to an SMTP server with
// github.com/emersion/go-smtp: one connection per message, TLS as TLS
// says, AUTH PLAIN or LOGIN when User is set. The zero SMTP has no address
// and fails to send.
type SMTP struct {
	// Addr is the server as host:port.
	Addr string
	// TLS is the connection's protection; the zero value is StartTLS.
	TLS TLSMode
	// TLSConfig verifies the server; nil means the system's roots and the
	// host of Addr as the server name. A config without ServerName gets the
	// host of Addr. Verification is never turned off here: set RootCAs for
	// a private CA (smtptlsca).
	TLSConfig *tls.Config
	// User and Password, when User is not "", authenticate with AUTH PLAIN,
	// or AUTH LOGIN when the server offers only that.
	User, Password string
	// LocalName is the name given in EHLO; "" means "localhost".
	LocalName string
	// Logf logs the recipients a server refused when it accepted others;
	// nil discards.
	Logf report.Logf
}

var _ Sender = (*SMTP)(nil)

// SMTPError is a failed SMTP submission: the server, the step that failed
// and the server's reply or the network error.
type SMTPError struct {
	Addr string // the server, host:port
	// Step is what was being done: "connect", "starttls", "hello", "auth",
	// "mail from", "rcpt to", "data" or "quit".
	Step string
	// Code is the server's reply code, 0 when the step failed without one
	// (a network or TLS error).
	Code int
	Err  error
}

// Error returns "mail: smtp ADDR: STEP: ERR".
func (e *SMTPError) Error() string {
	return "mail: smtp " + e.Addr + ": " + e.Step + ": " + e.Err.Error()
}

// Unwrap returns e.Err.
func (e *SMTPError) Unwrap() error { return e.Err }

// Temporary reports whether trying again later may succeed. Only a 5xx
// reply to the message itself (MAIL FROM, RCPT TO or DATA) is permanent; a
// failure to connect, a network or TLS error, a timeout, any 4xx reply, a
// failed AUTH and 530 (authentication required) are temporary: they say
// nothing bad about the message, and the last two are a setting to fix.
func (e *SMTPError) Temporary() bool {
	switch e.Step {
	case "mail from", "rcpt to", "data":
		return e.Code < 500 || e.Code == codeAuthRequired
	}
	return true
}

// codeAuthRequired is the reply of a server that wants AUTH first.
const codeAuthRequired = 530

// Send submits msg to env.To from env.From: MAIL FROM, one RCPT TO per
// recipient, DATA, and QUIT. It returns nil once the server answered 250 to
// the end of the data. When the server refuses some recipients with 5xx
// and accepts others, the message goes to those it accepts and Send
// returns nil; when it refuses them all, or answers any of them with 4xx,
// no data is sent. Failures are *SMTPError. The connection is closed when
// ctx ends, so a server that stalls cannot hold Send past its deadline.
func (s *SMTP) Send(ctx context.Context, env Envelope, msg []byte) error {
	if err := CheckAddresses(env.To); err != nil {
		return err
	}
	if env.From != "" {
		if err := CheckAddress(env.From); err != nil {
			return err
		}
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, defaultSMTPTimeout)
		defer cancel()
	}
	fail := func(step string, err error) error {
		if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
			err = fmt.Errorf("%w: %w", ctx.Err(), err)
		}
		e := &SMTPError{Addr: s.Addr, Step: step, Err: err}
		if se := (*smtp.SMTPError)(nil); errors.As(err, &se) {
			e.Code = se.Code
		}
		return e
	}
	c, err := s.dial(ctx)
	if err != nil {
		return fail("connect", err)
	}
	defer c.Close()
	if err := s.hello(c); err != nil {
		return fail(err.step, err.err)
	}
	if err := c.Mail(env.From, nil); err != nil {
		return fail("mail from", err)
	}
	var refused []error
	for _, to := range env.To {
		err := c.Rcpt(to, nil)
		if se := (*smtp.SMTPError)(nil); errors.As(err, &se) && se.Code >= 500 {
			refused = append(refused, fmt.Errorf("<%s>: %w", to, err))
			continue
		}
		if err != nil {
			return fail("rcpt to", fmt.Errorf("<%s>: %w", to, err))
		}
	}
	if len(refused) == len(env.To) {
		return fail("rcpt to", errors.Join(refused...))
	}
	w, err := c.Data()
	if err != nil {
		return fail("data", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fail("data", err)
	}
	if err := w.Close(); err != nil {
		return fail("data", err)
	}
	c.Quit() //nolint:errcheck // the message was accepted
	if len(refused) > 0 && s.Logf != nil {
		s.Logf("mail: smtp %s: sent, but not to the refused %v", s.Addr, errors.Join(refused...))
	}
	return nil
}

// dial connects to the server, in TLS from the start for ImplicitTLS, and
// returns a client whose connection closes when ctx ends.
func (s *SMTP) dial(ctx context.Context) (*smtp.Client, error) {
	var d net.Dialer
	var conn net.Conn
	var err error
	if s.TLS == ImplicitTLS {
		td := tls.Dialer{NetDialer: &d, Config: s.tlsConfig()}
		conn, err = td.DialContext(ctx, "tcp", s.Addr)
	} else {
		conn, err = d.DialContext(ctx, "tcp", s.Addr)
	}
	if err != nil {
		return nil, err
	}
	context.AfterFunc(ctx, func() { conn.Close() })
	if s.TLS != StartTLS {
		c := smtp.NewClient(conn)
		s.timeouts(ctx, c)
		return c, nil
	}
	c, err := startTLS(ctx, conn, s)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return c, nil
}

// startTLS greets the server as LocalName, requires STARTTLS and starts
// TLS on conn. go-smtp (v0.25) says EHLO localhost before STARTTLS and
// offers no way to give another name then, nor to start TLS after an EHLO
// of our own: so the plain-text part of the dialogue (greeting, EHLO,
// STARTTLS) is spoken here, and the go-smtp client runs over the TLS
// connection with the greeting it would wait for already given (the
// server greets only once). The hello after it says EHLO again, as RFC
// 3207 requires, with the same name.
func startTLS(ctx context.Context, conn net.Conn, s *SMTP) (*smtp.Client, error) {
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline.Add(time.Second)) //nolint:errcheck // the AfterFunc closes conn first
	tp := textproto.NewConn(conn)               // not closed: conn goes on under TLS
	step := func(expect int, format string, args ...any) (string, error) {
		if format != "" {
			if err := tp.PrintfLine(format, args...); err != nil {
				return "", err
			}
		}
		_, msg, err := tp.ReadResponse(expect)
		var te *textproto.Error
		if errors.As(err, &te) {
			err = &smtp.SMTPError{Code: te.Code, Message: te.Msg}
		}
		return msg, err
	}
	if _, err := step(220, ""); err != nil {
		return nil, fmt.Errorf("starttls: greeting: %w", err)
	}
	ext, err := step(250, "EHLO %s", s.localName())
	if err != nil {
		return nil, fmt.Errorf("starttls: ehlo: %w", err)
	}
	if !hasExtension(ext, "STARTTLS") {
		return nil, errors.New("starttls: smtp: server doesn't support STARTTLS")
	}
	if _, err := step(220, "STARTTLS"); err != nil {
		return nil, fmt.Errorf("starttls: %w", err)
	}
	tc := tls.Client(conn, s.tlsConfig())
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("starttls: %w", err)
	}
	c := smtp.NewClient(&greeted{Conn: tc, greeting: strings.NewReader("220 greeted before STARTTLS\r\n")})
	s.timeouts(ctx, c)
	return c, nil
}

// hasExtension reports whether the lines of an EHLO reply (after the
// first, the server's name) announce the extension ext.
func hasExtension(reply, ext string) bool {
	lines := strings.Split(reply, "\n")
	for _, l := range lines[1:] {
		if name, _, _ := strings.Cut(strings.TrimSpace(l), " "); strings.EqualFold(name, ext) {
			return true
		}
	}
	return false
}

// greeted is a connection on which the server's greeting was already
// read: its first reads give the greeting again, for a client that waits
// for it.
type greeted struct {
	net.Conn
	greeting *strings.Reader
}

func (g *greeted) Read(b []byte) (int, error) {
	if g.greeting.Len() > 0 {
		return g.greeting.Read(b)
	}
	return g.Conn.Read(b)
}

// localName is the name given in EHLO.
func (s *SMTP) localName() string {
	if s.LocalName == "" {
		return "localhost"
	}
	return s.LocalName
}

// timeouts sets the client's timeouts to what is left of ctx and a second
// more, so that ctx ends first and closes the connection: the error then
// says that the attempt timed out.
func (s *SMTP) timeouts(ctx context.Context, c *smtp.Client) {
	left := defaultSMTPTimeout
	if deadline, ok := ctx.Deadline(); ok {
		left = max(time.Until(deadline), 0) + time.Second
	}
	c.CommandTimeout, c.SubmissionTimeout = left, left
}

// stepError is an error of hello with the step it happened in.
type stepError struct {
	step string
	err  error
}

// hello says EHLO (again after STARTTLS) and authenticates.
func (s *SMTP) hello(c *smtp.Client) *stepError {
	if err := c.Hello(s.localName()); err != nil {
		return &stepError{"hello", err}
	}
	if s.User == "" {
		return nil
	}
	var a sasl.Client
	switch {
	case c.SupportsAuth(sasl.Plain):
		a = sasl.NewPlainClient("", s.User, s.Password)
	case c.SupportsAuth(sasl.Login):
		a = &loginClient{user: s.User, password: s.Password}
	default:
		return &stepError{"auth", errors.New("server offers neither AUTH PLAIN nor AUTH LOGIN")}
	}
	if err := c.Auth(a); err != nil {
		return &stepError{"auth", err}
	}
	return nil
}

// loginClient is AUTH LOGIN that answers the server's challenges in turn,
// the user name to the first and the password to the second, whatever
// their text: go-sasl's LOGIN client sends the user name as an initial
// response and wants the second challenge to read exactly "Password:",
// which aiosmtpd, for one, does not send ("Password" and a NUL), so that
// AUTH failed and the mail was retried for days. The challenges are
// prompts for a person (draft-murchison-sasl-login); no client need read
// them.
type loginClient struct {
	user, password string
	step           int
}

func (c *loginClient) Start() (string, []byte, error) { return sasl.Login, nil, nil }

func (c *loginClient) Next([]byte) ([]byte, error) {
	c.step++
	switch c.step {
	case 1:
		return []byte(c.user), nil
	case 2:
		return []byte(c.password), nil
	}
	return nil, errors.New("AUTH LOGIN: more than two challenges")
}

// tlsConfig returns the TLS configuration, its ServerName filled in.
func (s *SMTP) tlsConfig() *tls.Config {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if cfg.ServerName == "" {
		host, _, err := net.SplitHostPort(s.Addr)
		if err != nil {
			host = s.Addr
		}
		cfg.ServerName = host
	}
	return cfg
}
