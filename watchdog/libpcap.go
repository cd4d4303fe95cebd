//go:build cgo

package watchdog

import (
	"fmt"

	"github.com/google/gopacket/pcap"
)

// LibpcapVersion returns the version string of the libpcap in use, as
// pcap_lib_version says it ("libpcap version 1.10.4 (with TPACKET_V3)").
func LibpcapVersion() string { return pcap.Version() }

// DefaultDevice returns the device libpcap captures on when no interface
// is named: the first device pcap_findalldevs lists, which libpcap puts
// first because it is up and not a loopback. It is the device OpenLive
// opens for an empty Interface.
func DefaultDevice() (string, error) {
	devs, err := pcap.FindAllDevs()
	if err == nil && len(devs) == 0 {
		err = errNoDevice
	}
	if err != nil {
		return "", fmt.Errorf("no capture interface found: %w", err)
	}
	return devs[0].Name, nil
}
