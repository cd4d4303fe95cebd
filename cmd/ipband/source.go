package main

import (
	"ipband/conf"
	"ipband/report"
	"ipband/watchdog"
)

// openSource opens the file to replay, or the live interface, with the
// filter of cfg; a live capture logs its losses and returns with logf.
// With no interface named, the live capture opens libpcap's default
// device.
func openSource(file string, cfg *conf.Config, logf report.Logf) (watchdog.Source, error) {
	if file != "" {
		s, err := watchdog.OpenFileSource(file, cfg.Filter)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return s, nil
	}
	iface := cfg.Interface
	if iface == "" { // libpcap's default, named in -d 1 and messages
		dev, err := watchdog.DefaultDevice()
		if err != nil {
			return nil, err
		}
		iface = dev
	}
	s, err := watchdog.OpenLiveSource(watchdog.LiveOptions{
		Interface: iface,
		Promisc:   cfg.Promisc,
		Filter:    cfg.Filter,
		Reader:    cfg.Reader,
		RingSize:  int(cfg.RingSize),
		Logf:      logf,
	}, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}
