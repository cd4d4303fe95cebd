package main

import (
	"ipband/conf"
	"ipband/watchdog"
)

// openSource opens the file to replay, or the live interface, with the
// filter of cfg.
func openSource(file string, cfg *conf.Config) (watchdog.Source, error) {
	if file != "" {
		s, err := watchdog.OpenFileSource(file, cfg.Filter)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		return s, nil
	}
	s, err := watchdog.OpenLiveSource(watchdog.LiveOptions{
		Interface: cfg.Interface,
		Promisc:   cfg.Promisc,
		Filter:    cfg.Filter,
	}, nil)
	if err != nil {
		return nil, err
	}
	return s, nil
}
