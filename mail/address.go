package mail

import (
	"errors"
	"fmt"
	"strings"
)

// ErrBadAddress is wrapped, in an *AddressError, by the error for a mail
// address that ipband does not accept.
var ErrBadAddress = errors.New("mail: bad address")

// ErrNoRecipients is returned when a message or a list has no recipient.
var ErrNoRecipients = errors.New("mail: no recipients")

const (
	// maxAddressLen is the longest address accepted: the RFC 5321 limit on a
	// forward path less its angle brackets.
	maxAddressLen = 254
	// addressSpecials are the RFC 5322 specials, less "@" and ".", that an
	// address may not contain: they would make it a display name, a
	// comment, a group, a quoted string or a list.
	addressSpecials = `()<>[]:;,\"`
)

// AddressError is a mail address that CheckAddress rejects, with the
// reason. It wraps ErrBadAddress.
type AddressError struct {
	Addr string // the address as given
	Why  string // the rule it breaks: "mail address may not contain ..."
}

// Error returns `mail: bad address "ADDR": WHY`, the address cut at 60
// bytes.
func (e *AddressError) Error() string {
	a := e.Addr
	if len(a) > 60 {
		a = a[:60] + "..."
	}
	return fmt.Sprintf("%v %q: %s", ErrBadAddress, a, e.Why)
}

// Unwrap returns ErrBadAddress.
func (e *AddressError) Unwrap() error { return ErrBadAddress }

// CheckAddress is the one rule for the mail addresses ipband takes
// (mailto, -M, mailfrom): the config loader and the mail queue both call
// it, so that an address accepted at start-up is one that can be sent to.
//
// An address is a bare `user@domain`, or a local user name such as "root"
// that the MTA qualifies: 1 to 254 bytes of printable ASCII (no white space,
// control characters or non-ASCII letters), none of the RFC 5322 specials
// ( ) < > [ ] : ; , \ " (so no display names, comments, quoted local parts,
// domain literals or lists), not starting with '-' (it could pass for an
// option of the mail command). With an '@', the user and the domain are
// both non-empty, there is a single '@' and the domain has no empty label.
// The error is an *AddressError.
func CheckAddress(a string) error {
	if why := addressProblem(a); why != "" {
		return &AddressError{Addr: a, Why: why}
	}
	return nil
}

// addressProblem says why a is not an acceptable address, or "".
func addressProblem(a string) string {
	switch {
	case a == "":
		return "empty mail address"
	case len(a) > maxAddressLen:
		return "mail address too long"
	case a[0] == '-':
		return "mail address may not start with '-'"
	}
	for i := 0; i < len(a); i++ {
		switch c := a[i]; {
		case c == ' ' || c == '\t' || c < 0x20 || c == 0x7f:
			return "mail address may not contain white space or control characters"
		case c >= 0x80:
			return "mail address may not contain non-ASCII characters"
		case strings.IndexByte(addressSpecials, c) >= 0:
			return fmt.Sprintf("mail address may not contain %q", rune(c))
		}
	}
	user, domain, at := strings.Cut(a, "@")
	switch {
	case !at:
		return ""
	case user == "" || domain == "":
		return "want user@domain"
	case strings.Contains(domain, "@"):
		return "more than one '@'"
	case domain[0] == '.' || domain[len(domain)-1] == '.' || strings.Contains(domain, ".."):
		return "empty label in mail domain"
	}
	return ""
}

// CheckAddresses checks every address in to with CheckAddress, and returns
// ErrNoRecipients when to is empty.
func CheckAddresses(to []string) error {
	if len(to) == 0 {
		return ErrNoRecipients
	}
	for _, a := range to {
		if err := CheckAddress(a); err != nil {
			return err
		}
	}
	return nil
}

// SplitAddresses parses the classic comma-separated recipient list (-M,
// mailto): "noc@example.com, root". White space around each address is
// dropped; every address is checked with CheckAddress, so an empty item
// ("a@x,,b@y" or a trailing comma) is an error. An empty list is
// ErrNoRecipients.
func SplitAddresses(s string) ([]string, error) {
	if strings.Trim(s, " \t") == "" {
		return nil, ErrNoRecipients
	}
	var to []string
	for a := range strings.SplitSeq(s, ",") {
		a = strings.Trim(a, " \t")
		if err := CheckAddress(a); err != nil {
			return nil, err
		}
		to = append(to, a)
	}
	return to, nil
}
