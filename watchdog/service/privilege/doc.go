// Package privilege is where ipband gives up root: it resolves the user
// ipband runs as (directive user, flag --user), drops to it once the
// capture is open and checks that every thread did, hands that user the
// directories it will write, checks its outputs as that user, and starts
// the mail and notify commands without root.
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
// AsUser runs a check, or an open, with the user's file system
// permissions, on a thread of its own, so that an output the user cannot
// write stops ipband at start rather than losing every report, and a file
// created before the drop is the user's. CheckDir refuses a directory
// ipband creates files in (the spool, the evidence directory) that another
// user owns or may write; HandOver gives a directory tree to the user.
//
// # Commands
//
// Isolate starts a command in a process group of its own, as a Credential
// when one is given; CommandCredential says which one a mail or notify
// command gets (never root). HeadBuffer and FirstLine keep what the
// command says on standard error for one log line.
package privilege
