package main

import (
	"context"
	"fmt"
	"time"

	"ipband/conf"
	"ipband/watchdog"
	"ipband/watchdog/pcapfile"
)

// source is a capture: a file to replay or a live interface.
type source interface {
	LinkType() watchdog.LinkType
	Run(ctx context.Context, e *watchdog.Engine, opt watchdog.RunOptions, cfg *conf.Config) error
	Close()
	String() string
}

// openSource opens the file to replay, or the live interface.
func openSource(file string, cfg *conf.Config) (source, error) {
	if file != "" {
		f, err := pcapfile.Open(file)
		if err != nil {
			return nil, err
		}
		return &replay{f: f, name: file}, nil
	}
	l, err := watchdog.OpenLive(watchdog.LiveOptions{
		Interface: cfg.Interface,
		Promisc:   cfg.Promisc,
		Filter:    cfg.Filter,
	})
	if err != nil {
		return nil, err
	}
	return &live{l: l, iface: cfg.Interface}, nil
}

// replay is offline replay of a capture file.
type replay struct {
	f    *pcapfile.Reader
	name string
}

func (r *replay) LinkType() watchdog.LinkType { return r.f.LinkType() }
func (r *replay) Close()                      { r.f.Close() }
func (r *replay) String() string {
	return fmt.Sprintf("file %s, link type %d (%s)", r.name, int(r.f.LinkType()), r.f.LinkType().Name())
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

func (l *live) LinkType() watchdog.LinkType { return l.l.LinkType() }
func (l *live) Close()                      { l.l.Close() }
func (l *live) String() string {
	return fmt.Sprintf("interface %s, link type %d (%s)", l.iface, int(l.l.LinkType()), l.l.LinkType().Name())
}

func (l *live) Run(ctx context.Context, e *watchdog.Engine, opt watchdog.RunOptions, _ *conf.Config) error {
	return l.l.Run(ctx, e, wallClock{}, opt)
}

// wallClock is the system clock, for live capture only.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }
