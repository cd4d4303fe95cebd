package main

import (
	"ipband/conf"
	"ipband/report"
	"ipband/watchdog"
	"ipband/watchdog/evidence"
)

// openEvidence starts the evidencedir writer for the capture src, or
// returns nil when evidencedir is not set.
func openEvidence(cfg *conf.Config, src watchdog.Source, logf report.Logf) (*evidence.Dir, error) {
	if cfg.EvidenceDir == "" {
		return nil, nil
	}
	return evidence.Open(evidence.Options{
		Dir:      cfg.EvidenceDir,
		LinkType: src.LinkType(),
		Snaplen:  snaplen(src),
		Logf:     logf,
	})
}

// snaplen is the snap length of the capture: the file's, or what live
// capture asks of libpcap.
func snaplen(src watchdog.Source) int {
	if f, ok := src.(*watchdog.FileSource); ok {
		return f.Reader().Snaplen()
	}
	return watchdog.DefaultSnaplen
}
