// Command ipband watches bandwidth per subnet and, when a subnet stays over
// its threshold for the reporting period, appends (and mails) a report of
// the connections that made up its traffic.
//
//	ipband [OPTIONS] [interface]
//	ipband --read capture.pcap -d 2 -o -
//
// See ipband(8) and ipband.conf.example.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"ipband/conf"
	"ipband/mail"
	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// version is the release; builds may set it with -ldflags "-X main.version=...".
var version = "0.9.0"

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1 // a runtime failure: the capture or the file broke
	exitUsage = 2 // bad flags or config: nothing was started
)

// environment is what ipband takes from the system: its standard output
// and error, and the files of the system databases.
type environment struct {
	stdout, stderr io.Writer
	networks       string // /etc/networks
	services       string // /etc/services
	protocols      string // /etc/protocols
}

func main() {
	env := environment{
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		networks:  "/etc/networks",
		services:  "/etc/services",
		protocols: "/etc/protocols",
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], env)
	stop()
	os.Exit(code)
}

// run is ipband from its arguments to its exit status; it stops capturing
// when ctx is done.
func run(ctx context.Context, args []string, env environment) int {
	stdout, stderr := env.stdout, env.stderr
	logf := func(format string, a ...any) { fmt.Fprintf(stderr, "ipband: "+format+"\n", a...) }
	var c cli
	fs := newFlags(&c, stderr)
	if err := fs.Parse(args); err != nil {
		logf("%v (see ipband --help)", err)
		return exitUsage
	}
	switch {
	case bool(c.help):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	case bool(c.version):
		fmt.Fprintf(stdout, "ipband %s\n", version)
		return exitOK
	}
	cfg, err := loadConfig(&c, fs.Changed("config"))
	if err == nil {
		err = applyFlags(fs, cfg)
	}
	if err == nil {
		err = positional(fs.Args(), cfg)
	}
	if err == nil {
		err = cfg.Validate()
	}
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	if cfg.Fork && c.read.s == "" && os.Getenv(daemonEnv) == "" {
		return daemonize(logf)
	}
	return watch(ctx, &c, cfg, env, logf)
}

// loadConfig reads the config file the flags name: none with -C, the file
// given with -c (which must exist), else the default file if it exists.
func loadConfig(c *cli, given bool) (*conf.Config, error) {
	switch {
	case bool(c.noConfig):
		return conf.Default(), nil
	case given:
		return conf.Load(c.config.s)
	default:
		return conf.LoadDefault()
	}
}

// positional takes the interface from the one positional argument.
func positional(args []string, cfg *conf.Config) error {
	switch len(args) {
	case 0:
		return nil
	case 1:
		if err := cfg.Set("interface", args[0]); err != nil {
			return fmt.Errorf("interface %q: %w", args[0], err)
		}
		return nil
	}
	return fmt.Errorf("one interface expected, got %q", args)
}

// watch opens the capture, builds the engine and its outputs, and runs
// until the file ends or a signal arrives.
func watch(ctx context.Context, c *cli, cfg *conf.Config, env environment, logf report.Logf) int {
	stdout := env.stdout
	// Outputs first: a bad footer or mail command stops ipband before the
	// capture opens.
	out, err := newOutput(cfg, env, logf)
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	src, err := openSource(c.read.s, cfg)
	if err == nil {
		defer src.Close()
		err = watchdog.CheckLenAdj(cfg.LenAdj, src.LinkType())
	}
	if err != nil {
		var lerr *watchdog.LenAdjError
		switch {
		case errors.As(err, &lerr):
			logf("flag -J/--lenadj or lenadj: %v", err)
		case src == nil:
			logf("%v", err)
		case c.read.s != "":
			logf("%s: %v", c.read.s, err)
		default:
			logf("interface %s: %v", cfg.Interface, err)
		}
		out.Close(0) //nolint:errcheck // nothing was delivered yet
		return exitUsage
	}
	namesFile := env.networks
	if c.networks.s != "" {
		namesFile = c.networks.s
	}
	networks, err := subnet.LoadNetworks(namesFile)
	if err != nil {
		logf("%v (network names not shown)", err)
	}
	engine, err := watchdog.New(engineConfig(cfg, networks), out)
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	if cfg.Debug >= 1 {
		report.WriteOptions(stdout, version, optionSummary(c, cfg, src)) //nolint:errcheck // best effort on a terminal
	}
	opt := watchdog.RunOptions{}
	if cfg.Debug >= 3 {
		opt.Trace = stdout
	}
	status := exitOK
	if err := src.Run(ctx, engine, opt, cfg); err != nil {
		logf("%v", err)
		status = exitFail
	}
	if c.read.s != "" {
		logf("%s", summaryLine(c.read.s, engine.Stats(), false))
	} else {
		logf("%s", summaryLine(liveName(cfg.Interface), engine.Stats(), true))
	}
	if err := out.Close(10 * time.Second); err != nil {
		logf("%v", err)
		status = exitFail
	}
	return status
}

// engineConfig builds the engine's configuration from cfg.
func engineConfig(cfg *conf.Config, networks *subnet.Networks) watchdog.Config {
	var preload []subnet.Preload
	for _, p := range cfg.Preloaded() {
		preload = append(preload, subnet.Preload{Prefix: p.Prefix, Threshold: p.Threshold})
	}
	return watchdog.Config{
		Average:    cfg.Average,
		Report:     cfg.Report,
		Top:        cfg.Top,
		Accumulate: cfg.Accumulate,
		LenAdj:     cfg.LenAdj,
		MaxConns:   cfg.MaxConns,

		MaxConnsTotal: cfg.MaxConnsTotal,
		Subnets: subnet.Options{
			MaskBits:   cfg.MaskBits,
			MaskBits6:  cfg.MaskBits6,
			Threshold:  cfg.Bandwidth,
			Preload:    preload,
			Local:      cfg.LocalRange,
			MaxDynamic: cfg.MaxSubnets,
			Networks:   networks,
		},
	}
}

// newOutput builds the outputs the config asks for.
func newOutput(cfg *conf.Config, env environment, logf report.Logf) (*output, error) {
	stdout := env.stdout
	names := report.SystemNames(env.services, env.protocols)
	o := &output{logf: logf, path: cfg.OutFile}
	if cfg.Debug >= 2 {
		o.table = stdout
	}
	switch cfg.OutFile {
	case "-":
		o.file = report.NewWriterSink(stdout, names, logf)
	default:
		o.file = report.NewFileSink(cfg.OutFile, names, logf)
	}
	if cfg.HTMLFile != "" {
		o.html = report.NewHTMLFile(cfg.HTMLFile, cfg.HTMLTitle, logf)
	}
	if len(cfg.MailTo) > 0 {
		q, err := newMail(cfg, names, logf)
		if err != nil {
			return nil, err
		}
		o.mail = q
	}
	return o, nil
}

// newMail starts the queue that hands reports to the MTA command.
func newMail(cfg *conf.Config, names *report.Names, logf report.Logf) (*mail.Queue, error) {
	cmd, err := mail.NewCommand(cfg.MTA)
	if err != nil {
		return nil, fmt.Errorf("mtastring: %w", err)
	}
	var footer []byte
	if cfg.MailFoot != "" {
		footer, err = os.ReadFile(cfg.MailFoot)
		if err != nil {
			return nil, fmt.Errorf("mailfoot: %w", err)
		}
	}
	return mail.NewQueue(cmd, cfg.MailTo, footer, names, logf), nil
}

// optionSummary lists the settings for -d 1.
func optionSummary(c *cli, cfg *conf.Config, src source) []report.Option {
	yn := map[bool]string{true: "yes", false: "no"}
	cfgFile := c.config.s
	if c.noConfig {
		cfgFile = "(ignored)"
	} else if cfg.Source == "" {
		cfgFile += " (not found, defaults used)"
	}
	var subnets []string
	for _, p := range cfg.Preloaded() {
		subnets = append(subnets, fmt.Sprintf("%s bandwidth %.2f", p.Prefix, p.Threshold))
	}
	return []report.Option{
		{Name: "Debug level", Value: fmt.Sprint(cfg.Debug)},
		{Name: "Configuration file", Value: cfgFile},
		{Name: "Capture", Value: src.String()},
		{Name: "Promiscuous mode", Value: yn[cfg.Promisc]},
		{Name: "Averaging period (sec)", Value: fmt.Sprint(int(cfg.Average.Seconds()))},
		{Name: "Reporting period (sec)", Value: fmt.Sprint(int(cfg.Report.Seconds()))},
		{Name: "Bandwidth threshold (kBps)", Value: fmt.Sprintf("%.2f", cfg.Bandwidth)},
		{Name: "Pcap filter string", Value: cfg.Filter},
		{Name: "Subnet mask bits", Value: fmt.Sprintf("%d (IPv6 %d)", cfg.MaskBits, cfg.MaskBits6)},
		{Name: "Local ranges", Value: cfg.LocalRange.String()},
		{Name: "Preloaded subnets", Value: strings.Join(subnets, ", ")},
		{Name: "Frame length adjustment", Value: fmt.Sprint(cfg.LenAdj)},
		{Name: "Report output file", Value: cfg.OutFile},
		{Name: "HTML status page", Value: cfg.HTMLFile},
		{Name: "Report mail to", Value: strings.Join(cfg.MailTo, ", ")},
		{Name: "Report mail footer file", Value: cfg.MailFoot},
		{Name: "Mail command", Value: cfg.MTA},
		{Name: "Report top connections", Value: fmt.Sprint(cfg.Top)},
		{Name: "Accumulate exceeded time", Value: yn[cfg.Accumulate]},
		{Name: "Table limits", Value: fmt.Sprintf("%d subnets, %d connections per subnet", cfg.MaxSubnets, cfg.MaxConns)},
	}
}

// liveName names a live capture in the exit summary.
func liveName(iface string) string {
	if iface == "" {
		return "live capture"
	}
	return "interface " + iface
}

// summaryLine is the line logged at exit: "FILE: N packets: N IP, N not
// IP, N malformed", then ", N subnets evicted" when some were and ", N
// dropped" when some were or the capture is live.
func summaryLine(name string, s report.Stats, live bool) string {
	line := fmt.Sprintf("%s: %d packets: %d IP, %d not IP, %d malformed", name, s.Packets, s.IP, s.Other, s.Malformed)
	if s.EvictedSubnets > 0 {
		line += fmt.Sprintf(", %d subnets evicted", s.EvictedSubnets)
	}
	if s.Dropped > 0 || live {
		line += fmt.Sprintf(", %d dropped", s.Dropped)
	}
	return line
}
