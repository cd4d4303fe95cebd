package main

import (
	"fmt"
	"log/slog"
	"time"

	"ipband/conf"
	"ipband/report"
	"ipband/watchdog"
	"ipband/watchdog/evidence"
	"ipband/watchdog/service/privilege"
)

// openEvidence starts the evidencedir writer for the capture src, or
// returns nil when evidencedir is not set.
func openEvidence(cfg *conf.Config, src watchdog.Source, logf report.Logf) (*evidence.Dir, error) {
	if cfg.EvidenceDir == "" {
		return nil, nil
	}
	owner, _ := privilege.Writer(cfg.User) // a bad user is reported by the user check
	return evidence.Open(evidence.Options{
		Dir:      cfg.EvidenceDir,
		Owner:    owner,
		LinkType: src.LinkType(),
		Snaplen:  snaplen(src, cfg),
		Logf:     logf,
	})
}

// snaplen is the snap length of the evidence files: the replayed file's,
// or evidencesnaplen in live capture.
func snaplen(src watchdog.Source, cfg *conf.Config) int {
	if f, ok := src.(*watchdog.FileSource); ok {
		return f.Reader().Snaplen()
	}
	return cfg.EvidenceSnaplen
}

// liveSnaplen is the snap length a live capture asks of libpcap: enough
// for the decoder and, with evidencedir, evidencesnaplen.
func liveSnaplen(cfg *conf.Config) int {
	if cfg.EvidenceDir == "" {
		return watchdog.DefaultSnaplen
	}
	return max(watchdog.DefaultSnaplen, cfg.EvidenceSnaplen)
}

// startEpisode starts e on the episode of an evidence file that src, the
// file named by flag -R/--read, replays: its subnet in detail logging
// from the episode's start, as in the capture that wrote it. Other
// captures start as always.
func startEpisode(src watchdog.Source, file string, e *watchdog.Engine, log *slog.Logger) error {
	f, ok := src.(*watchdog.FileSource)
	if !ok {
		return nil
	}
	sub, at, ok := evidence.ParseEpisode(f.Reader().Comment())
	if !ok {
		return nil
	}
	if err := e.StartEpisode(sub, at); err != nil {
		return fmt.Errorf("flag -R/--read %s: an evidence capture of %s: %w", file, sub, err)
	}
	log.Info(fmt.Sprintf("%s is an evidence capture of %s from %s: %s is in detail logging from then",
		file, sub, time.Unix(0, at).UTC().Format(time.RFC3339Nano), sub), "subsystem", "capture")
	return nil
}
