// Package privilege is where ipband gives up root: it resolves the user
// ipband runs as (directive user, flag --user), drops to it once the
// capture is open and checks that every thread did, hands that user the
// directories it will write, and starts the mail and notify commands
// without root.
//
// # Dropping root
//
// Target resolves a user and says whether a drop is needed; Drop switches
// the whole process to it (uid, primary group, no supplementary group, no
// capability) and confirms it from /proc. Check makes Drop's checks
// without switching, for the parent of -F.
//
//	if err := privilege.Drop(cfg.User); err != nil { ... }
//
// # Files written as the user
//
// HandOver gives a directory tree to the user.
//
// # Commands
//
// Isolate starts a command in a process group of its own, as a Credential
// when one is given; CommandCredential says which one a mail or notify
// command gets (never root). HeadBuffer and FirstLine keep what the
// command says on standard error for one log line.
package privilege
