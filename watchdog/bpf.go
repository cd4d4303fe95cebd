//go:build cgo

package watchdog

/*
#cgo LDFLAGS: -lpcap
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>

// ipband_bpf is a compiled filter and the record header handed to it, in
// C memory.
typedef struct {
	struct bpf_program prog;
	struct pcap_pkthdr hdr;
} ipband_bpf;

// ipband_dlt maps a file's LINKTYPE_ value to the DLT_ value libpcap
// compiles for, as libpcap does when it reads a file: they differ only
// for the few types whose DLT_ value differs between systems.
static int ipband_dlt(int linktype) {
	switch (linktype) {
	case 100: return DLT_ATM_RFC1483;
	case 101: return DLT_RAW;
	case 102: return DLT_SLIP_BSDOS;
	case 103: return DLT_PPP_BSDOS;
	}
	return linktype;
}

// ipband_bpf_compile compiles expr for frames of the file link type
// linktype (the full int: LINUX_SLL2 is 276) cut to snaplen. It returns
// NULL with the reason in errbuf (PCAP_ERRBUF_SIZE bytes) on failure.
static ipband_bpf *ipband_bpf_compile(int linktype, int snaplen, const char *expr, char *errbuf) {
	pcap_t *p = pcap_open_dead(ipband_dlt(linktype), snaplen);
	if (p == NULL) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "libpcap cannot compile for link type %d", linktype);
		return NULL;
	}
	ipband_bpf *b = calloc(1, sizeof *b);
	if (b == NULL) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "out of memory");
	} else if (pcap_compile(p, &b->prog, expr, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(errbuf, PCAP_ERRBUF_SIZE, "%s", pcap_geterr(p));
		free(b);
		b = NULL;
	}
	pcap_close(p);
	return b;
}

// ipband_bpf_match runs the filter over caplen bytes of a frame of len
// bytes on the wire.
static int ipband_bpf_match(ipband_bpf *b, const u_char *data, bpf_u_int32 caplen, bpf_u_int32 len) {
	b->hdr.caplen = caplen;
	b->hdr.len = len;
	return pcap_offline_filter(&b->prog, &b->hdr, data);
}

static void ipband_bpf_free(ipband_bpf *b) {
	pcap_freecode(&b->prog);
	free(b);
}
*/
import "C"

import (
	"errors"
	"runtime"
	"sync"
	"unsafe"

	"ipband/watchdog/pcapfile"
)

// BPF is a compiled filter for offline replay, run by libpcap's
// pcap_offline_filter. Its program lives in C memory, freed when the BPF
// is garbage collected. A BPF is not safe for concurrent use.
type BPF struct {
	c *C.ipband_bpf
}

var _ Filter = (*BPF)(nil)

// compileMu serialises pcap_compile, which older libpcaps do not make
// safe for concurrent use.
var compileMu sync.Mutex

// CompileBPF compiles expr, in tcpdump syntax, for frames of linkType (a
// capture file's LINKTYPE_ value) with snaplen (<= 0 means pcapfile.MaxRecord).
// linkType is passed to libpcap in full, so link types above 255
// (LINUX_SLL2 is 276) compile, and LINKTYPE_RAW (101) is compiled as the
// system's DLT_RAW. Errors quote expr.
func CompileBPF(expr string, linkType LinkType, snaplen int) (*BPF, error) {
	if snaplen <= 0 {
		snaplen = pcapfile.MaxRecord
	}
	cexpr := C.CString(expr)
	defer C.free(unsafe.Pointer(cexpr))
	errbuf := (*C.char)(C.calloc(C.PCAP_ERRBUF_SIZE, 1))
	defer C.free(unsafe.Pointer(errbuf))
	compileMu.Lock()
	c := C.ipband_bpf_compile(C.int(linkType), C.int(snaplen), cexpr, errbuf)
	compileMu.Unlock()
	if c == nil {
		return nil, &FilterError{Expr: expr, Err: errors.New(C.GoString(errbuf))}
	}
	b := &BPF{c: c}
	runtime.AddCleanup(b, func(c *C.ipband_bpf) { C.ipband_bpf_free(c) }, c)
	return b, nil
}

// Match reports whether the filter accepts the frame whose captured bytes
// are data and whose length on the wire is length. An empty data matches
// only a filter that reads no byte of the frame.
func (b *BPF) Match(data []byte, length uint32) bool {
	return C.ipband_bpf_match(b.c, (*C.u_char)(unsafe.SliceData(data)), C.bpf_u_int32(len(data)), C.bpf_u_int32(length)) != 0
}
