package main

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"

	"ipband/conf"
	"ipband/report"
	"ipband/watchdog"
	"ipband/watchdog/flow"
)

// openSource opens the file to replay, or the live interface, with the
// filter of cfg; a live capture logs its losses and returns with logf.
// With no interface named, the live capture opens libpcap's default
// device.
func openSource(file string, cfg *conf.Config, logf report.Logf) (watchdog.Source, error) {
	if len(cfg.FlowListen) > 0 {
		return openFlowSource(file, cfg, logf)
	}
	if file != "" {
		s, err := watchdog.OpenFileSource(file, cfg.Filter)
		if err != nil {
			return nil, err // not a typed nil in the interface
		}
		if err := s.SetWorkers(workerCount(cfg.Workers, "")); err != nil {
			s.Close() //nolint:errcheck // the workers' error is the one to tell
			return nil, fmt.Errorf("%s: %w", cfg.Origin("workers"), err)
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
	o := watchdog.LiveOptions{
		Interface: iface,
		Snaplen:   liveSnaplen(cfg),
		Promisc:   cfg.Promisc,
		Filter:    cfg.Filter,
		Reader:    cfg.Reader,
		RingSize:  int(cfg.RingSize),
		Workers:   workerCount(cfg.Workers, iface),
		Logf:      logf,
	}
	s, err := watchdog.OpenLiveSource(o, nil)
	if cfg.Workers == conf.WorkersAuto && errors.Is(err, watchdog.ErrWorkersNeedRing) {
		o.Workers = 1 // auto: as many as can be, here one
		s, err = watchdog.OpenLiveSource(o, nil)
	}
	if err != nil {
		return nil, err
	}
	return s, nil
}

// workerCount resolves the workers directive: n itself, or for
// conf.WorkersAuto one worker per core, no more than the receive queues
// of iface ("" for a file) where it has some.
func workerCount(n int, iface string) int {
	if n != conf.WorkersAuto {
		return n
	}
	n = runtime.NumCPU()
	if q := watchdog.RxQueues(iface); q > 0 {
		n = min(n, q)
	}
	return n
}

// flowSource is a flow source: its Collector is the engine's Annotator and
// gives the exit summary.
type flowSource interface {
	watchdog.Source
	Collector() *flow.Collector
}

// openFlowSource opens the flow listeners of cfg, or, with file, the
// capture of exports to replay; the collector logs with logf.
func openFlowSource(file string, cfg *conf.Config, logf report.Logf) (watchdog.Source, error) {
	var xs []flow.Exporter
	for _, x := range cfg.FlowExporters {
		xs = append(xs, flow.Exporter{Addr: x.Addr, Name: x.Name, Sampling: x.Sampling, Interfaces: x.Interfaces})
	}
	col := flow.NewCollector(flow.Options{Exporters: xs, Grace: cfg.FlowGrace, Skew: cfg.FlowSkew, Logf: logf})
	if file != "" {
		var ports []uint16
		for _, a := range cfg.FlowListen {
			_, p, err := net.SplitHostPort(a)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", cfg.Origin("flowlisten"), a, err)
			}
			n, err := strconv.ParseUint(p, 10, 16)
			if err != nil || n == 0 {
				return nil, fmt.Errorf("%s: %s: replay needs the port the exports were sent to", cfg.Origin("flowlisten"), a)
			}
			ports = append(ports, uint16(n))
		}
		s, err := flow.OpenFile(file, ports, col)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	s, err := flow.Listen(cfg.FlowListen, col, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", cfg.Origin("flowlisten"), err)
	}
	return s, nil
}
