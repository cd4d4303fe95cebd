// Package subnet turns addresses into the subnets ipband watches: masking
// for IPv4 and IPv6, preloaded subnets with their own thresholds and prefix
// lengths (longest prefix first), local ranges (-L), network names from
// /etc/networks, and the bounded table of dynamic subnets, which evicts by
// bytes this period so that a flood of new addresses cannot push out the
// subnets that carry the traffic (see Table). Its open-addressing index is
// package ipband/subnet/index, which the engine's connection tables share.
package subnet
