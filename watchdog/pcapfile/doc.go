// Package pcapfile reads pcap and pcapng capture files without libpcap, as
// gopacket's pcapgo does, but returns each record in place in a large
// buffer, without copying or allocating, and never trusts a length from the
// file: a hostile file costs at most its own size to read.
//
// Open or NewReader reads the file header; Reader.Next returns one Record
// at a time until io.EOF or an *Error that names the file, the byte offset
// and the record at fault. The sentinels ErrTruncated, ErrCorrupt and
// ErrFormat tell the three kinds of damage apart.
//
// LinkType is the link-layer type the file declares, a value of the
// tcpdump.org registry; decoding frames of that type is the watchdog
// package's business, and this package imports nothing of ipband.
package pcapfile
