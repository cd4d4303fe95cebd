// Package names learns, from the traffic itself, the name of the other side
// of a connection and how it is known: passive DNS (the answers a client
// received, bound to that client for their TTL), and claims (the TLS
// ClientHello server_name and the HTTP Host a client sent), shown as
// confirmed when the same client's DNS mapped the claimed name to that
// address. A Book keeps all of it, bounded; the engine feeds it DNS
// packets (port 53) and the TCP payloads of logging subnets, and asks it
// for names when it makes a report.
//
// A Resolver makes the forward-confirmed reverse lookups of resolve ptr on
// its own goroutine, rate-limited and cached; asking it never blocks.
//
// The parsers read outside input: malformed messages are counted, never a
// panic, and a Book never allocates for a packet it cannot use.
package names
