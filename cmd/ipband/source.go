package main

import (
	"context"
	"fmt"
	"time"

	"ipband/conf"
	"ipband/report"
	"ipband/watchdog"
)

// source is a capture: a file to replay or a live interface.
type source interface {
	LinkType() int
	Run(ctx context.Context, e *watchdog.Engine, opt watchdog.RunOptions, cfg *conf.Config) error
	Close()
	String() string
}

// openSource opens the file to replay, or the live interface, whose
// losses and returns are logged with logf.
func openSource(file string, cfg *conf.Config, logf report.Logf) (source, error) {
	if file != "" {
		f, err := watchdog.OpenFile(file)
		if err != nil {
			return nil, err
		}
		return &replay{f: f, name: file}, nil
	}
	iface := cfg.Interface
	if iface == "" { // libpcap's default, named in -d 1 and messages
		dev, err := watchdog.DefaultDevice()
		if err != nil {
			return nil, err
		}
		iface = dev
	}
	l, err := watchdog.OpenLive(watchdog.LiveOptions{
		Interface: iface,
		Promisc:   cfg.Promisc,
		Filter:    cfg.Filter,
		Logf:      logf,
	})
	if err != nil {
		return nil, err
	}
	return &live{l: l, iface: iface}, nil
}

// replay is offline replay of a capture file.
type replay struct {
	f    *watchdog.FileReader
	name string
}

func (r *replay) LinkType() int { return r.f.LinkType() }
func (r *replay) Close()        { r.f.Close() }
func (r *replay) String() string {
	return fmt.Sprintf("file %s, link type %d (%s)", r.name, r.f.LinkType(), watchdog.LinkTypeName(r.f.LinkType()))
}

func (r *replay) Run(ctx context.Context, e *watchdog.Engine, opt watchdog.RunOptions, cfg *conf.Config) error {
	if cfg.Filter != "" {
		bpf, err := watchdog.CompileBPF(cfg.Filter, r.f.LinkType(), r.f.Snaplen())
		if err != nil {
			return err
		}
		opt.Filter = bpf
	}
	return watchdog.Replay(ctx, r.f, e, opt)
}

// live is capture on an interface.
type live struct {
	l     *watchdog.Live
	iface string
}

func (l *live) LinkType() int { return l.l.LinkType() }
func (l *live) Close()        { l.l.Close() }
func (l *live) String() string {
	return fmt.Sprintf("interface %s, link type %d (%s)", l.iface, l.l.LinkType(), watchdog.LinkTypeName(l.l.LinkType()))
}

func (l *live) Run(ctx context.Context, e *watchdog.Engine, opt watchdog.RunOptions, _ *conf.Config) error {
	return l.l.Run(ctx, e, wallClock{}, opt)
}

// wallClock is the system clock, for live capture only.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
