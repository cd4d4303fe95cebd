package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"ipband/conf"
	"ipband/mail"
	"ipband/report"
	"ipband/watchdog/service/privilege"
)

// mailSetup is what the mail queue needs from files, read as root before
// privileges are dropped: the footer, and the sender with the SMTP
// password and CA, so that a secret readable by root only (a password
// file of mode 0600) serves a run that drops to another user.
type mailSetup struct {
	footer []byte
	sender mail.Sender
}

// readMail checks the mail settings and reads the files they name: the
// footer, the sender (the mail command, or the SMTP server's CA and
// password files). Each error names the flag and the directive at fault.
func readMail(cfg *conf.Config, logf report.Logf) (*mailSetup, error) {
	m := &mailSetup{}
	if cfg.MailFoot != "" {
		var err error
		if m.footer, err = os.ReadFile(cfg.MailFoot); err != nil {
			return nil, fmt.Errorf("flag -l/--mailfoot or mailfoot: %w", err)
		}
	}
	sender, err := newSender(cfg, logf)
	if err != nil {
		return nil, err
	}
	m.sender = sender
	return m, nil
}

// newMail opens the mail queue, with what readMail read, once ipband runs
// as the user that writes the spool.
func newMail(cfg *conf.Config, m *mailSetup, names *report.Names, logf report.Logf) (*mail.Queue, error) {
	q, err := mail.Open(mailOptions(cfg, m.sender, m.footer, names, logf))
	if err != nil {
		return nil, mailError(err)
	}
	return q, nil
}

// checkMail makes newMail's checks of the spool and the addresses
// without opening the queue (the child of -F opens it).
func checkMail(cfg *conf.Config, m *mailSetup) error {
	return mailError(mail.Check(mailOptions(cfg, m.sender, nil, nil, nil)))
}

// handOverSpool creates the spool and its failed directory, as root, for
// the user ipband will drop to, and gives them to that user, who writes
// them after the drop. It does nothing when ipband does not drop root.
func handOverSpool(cfg *conf.Config) error {
	if _, drop, err := privilege.Target(cfg.User); err != nil || !drop {
		return nil // a bad user is the user check's to report
	}
	if err := os.MkdirAll(filepath.Join(cfg.SpoolDir, mail.FailedDir), 0o700); err != nil {
		return err
	}
	return privilege.HandOver(cfg.SpoolDir, cfg.User)
}

// mailOptions are the mail queue's options from cfg.
func mailOptions(cfg *conf.Config, sender mail.Sender, footer []byte, names *report.Names, logf report.Logf) mail.Options {
	owner, _ := privilege.Writer(cfg.User) // a bad user stops ipband before the spool is written
	return mail.Options{
		Sender: sender, To: cfg.MailTo, From: cfg.MailFrom, Footer: footer, Names: names,
		SpoolDir: cfg.SpoolDir, SpoolMax: cfg.SpoolMax, SpoolOwner: owner,
		Retry: cfg.MailRetry, RetryMax: cfg.MailRetryMax, Expire: cfg.MailExpire,
		Logf: logf,
	}
}

// mailError names the flag and directive at fault in an error of
// mail.Open or mail.Check.
func mailError(err error) error {
	var oe *mail.OpenError
	if errors.As(err, &oe) {
		where := map[string]string{
			"To": "flag -M/--mailto or mailto", "From": "flag --mail-from or mailfrom",
			"SpoolDir": "flag --spool-dir or spooldir",
		}[oe.Option]
		if where != "" {
			return fmt.Errorf("%s: %w", where, err)
		}
	}
	return err
}

// newSender returns the SMTP sender when smtp is set, else the mail
// command, checked: the command can be run, the CA and password files can
// be read.
func newSender(cfg *conf.Config, logf report.Logf) (mail.Sender, error) {
	if cfg.SMTP == "" {
		cmd, err := mail.NewCommand(cfg.MTA)
		if err == nil {
			err = cmd.Check()
		}
		if err != nil {
			return nil, fmt.Errorf("flag -T/--mtastring or mtastring: %w", err)
		}
		if cmd.Credential, err = privilege.CommandCredential(cfg.User); err != nil {
			return nil, fmt.Errorf("mail command: %w", err)
		}
		return cmd, nil
	}
	mode, err := mail.ParseTLSMode(cfg.SMTPTLS)
	if err != nil {
		return nil, fmt.Errorf("flag --smtp-tls or smtptls: %w", err)
	}
	s := &mail.SMTP{Addr: cfg.SMTP, TLS: mode, LocalName: localName(), Logf: logf}
	if cfg.SMTPTLSCA != "" {
		pool, err := loadCA(cfg.SMTPTLSCA)
		if err != nil {
			return nil, fmt.Errorf("flag --smtp-tls-ca or smtptlsca: %w", err)
		}
		s.TLSConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	switch {
	case cfg.SMTPUser != "" && cfg.SMTPPassFile == "":
		return nil, errors.New("flag --smtp-user or smtpuser: no password file: set --smtp-pass-file or smtppassfile")
	case cfg.SMTPUser == "" && cfg.SMTPPassFile != "":
		return nil, errors.New("flag --smtp-pass-file or smtppassfile: no user: set --smtp-user or smtpuser")
	case cfg.SMTPUser != "":
		pw, err := readPassword(cfg.SMTPPassFile)
		if err != nil {
			return nil, fmt.Errorf("flag --smtp-pass-file or smtppassfile: %w", err)
		}
		s.User, s.Password = cfg.SMTPUser, pw
		if mode == mail.NoTLS {
			logf("warning: smtptls none: the SMTP password for %s goes to %s unencrypted", cfg.SMTPUser, cfg.SMTP)
		}
	}
	return s, nil
}

// loadCA reads a PEM file of CA certificates.
func loadCA(path string) (*x509.CertPool, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		return nil, fmt.Errorf("%s: no PEM certificate", path)
	}
	return pool, nil
}

// readPassword returns the first line of the password file path.
func readPassword(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", fmt.Errorf("%s: empty password", path)
	}
	return line, nil
}

// localName is the host name for EHLO, or "localhost" when the host name
// is not usable.
func localName() string {
	h, err := os.Hostname()
	if err != nil || h == "" || strings.ContainsFunc(h, func(r rune) bool {
		return !(r == '-' || r == '.' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z')
	}) {
		return "localhost"
	}
	return h
}

// mailVia says how mail goes for -d 1: the mail command, or the SMTP
// server when one is set.
func mailVia(cfg *conf.Config) string {
	if cfg.SMTP == "" {
		return cfg.MTA
	}
	return fmt.Sprintf("none: SMTP to %s, smtptls %s, spool %s", cfg.SMTP, cfg.SMTPTLS, cfg.SpoolDir)
}
