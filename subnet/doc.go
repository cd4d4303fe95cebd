// Package subnet turns addresses into the subnets ipband watches: masking
// for IPv4 and IPv6, preloaded subnets with their own thresholds and prefix
// lengths (longest prefix first), local ranges (-L), network names from
// /etc/networks, and the bounded table of dynamic subnets.
package subnet
