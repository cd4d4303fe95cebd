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
	"log/slog"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/mail"
	"ipband/report"
	"ipband/report/metrics"
	"ipband/report/tui"
	"ipband/subnet"
	"ipband/watchdog"
	"ipband/watchdog/evidence"
	"ipband/watchdog/flow"
	"ipband/watchdog/service"
	"ipband/watchdog/service/privilege"
	"ipband/watchdog/suggest"
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
// and error, the files of the system databases, and whether it owns the
// process (its signals, timestamps in its log).
type environment struct {
	stdout, stderr io.Writer
	networks       string // /etc/networks
	services       string // /etc/services
	protocols      string // /etc/protocols
	signals        bool   // handle SIGHUP, SIGUSR1, SIGTERM, SIGINT
	logTime        bool   // timestamps in text log lines
}

func main() {
	env := environment{
		stdout:    os.Stdout,
		stderr:    os.Stderr,
		networks:  "/etc/networks",
		services:  "/etc/services",
		protocols: "/etc/protocols",
		signals:   true,
		logTime:   true,
	}
	// A closed pipe on standard output (-o - | head) is an output fault,
	// logged once, not a reason to die: with SIGPIPE notified, writes to
	// it fail with EPIPE. Notified, not ignored, so that the mail command
	// starts with SIGPIPE at its default.
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	os.Exit(run(context.Background(), os.Args[1:], env))
}

// run is ipband from its arguments to its exit status; it stops capturing
// when ctx is done or, with env.signals, on SIGTERM or SIGINT.
func run(ctx context.Context, args []string, env environment) int {
	stdout, stderr := env.stdout, env.stderr
	d := newDaemonChild()
	// Until the logger is made, messages are plain lines on stderr (and, in
	// the child of -F, to the parent).
	logf := func(format string, a ...any) {
		fmt.Fprintf(stderr, "ipband: "+format+"\n", a...)
		d.say(fmt.Sprintf(format, a...))
	}
	var c cli
	fs := newFlags(&c, stderr)
	err := checkShorthands(fs, args)
	if err == nil {
		err = fs.Parse(args)
	}
	if err != nil {
		logf("%v (see ipband --help)", err)
		return exitUsage
	}
	switch {
	case bool(c.help):
		fs.SetOutput(stdout)
		fs.Usage()
		return exitOK
	case bool(c.version):
		fmt.Fprintf(stdout, "ipband %s\n%s\n", version, watchdog.LibpcapVersion())
		return exitOK
	}
	cfg, err := configure(&c, fs)
	if err == nil {
		err = checkSuggestFlags(&c, fs)
	}
	if err == nil {
		err = checkTUI(&c, cfg, stdout)
	}
	if err == nil && bool(c.suggest) {
		return runSuggest(ctx, &c, fs, cfg, env, logf)
	}
	if err == nil {
		err = checkOutputs(fs, cfg)
	}
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	warnAccumulate(cfg, logf)
	warnReport(cfg, logf)
	if d != nil {
		d.absolute(&c, cfg)
	} else if cfg.Fork && !bool(c.foreground) && c.read.s == "" {
		return daemonize(ctx, args, &c, cfg, env, logf)
	}
	return watch(ctx, &c, fs, cfg, env, d)
}

// configure builds the config from the file and the flags, and validates
// it. SIGHUP calls it again.
func configure(c *cli, fs *pflag.FlagSet) (*conf.Config, error) {
	cfg, err := loadConfig(c, fs.Changed("config"))
	if err == nil {
		err = applyFlags(fs, cfg)
	}
	if err == nil {
		err = positional(fs.Args(), cfg)
	}
	if err == nil {
		err = checkRead(fs, c.read.s)
	}
	if err == nil {
		err = checkFlow(fs, cfg)
	}
	if err == nil {
		err = cfg.Validate()
	}
	return cfg, err
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
		if err := cfg.SetFrom("interface", args[0], "interface argument"); err != nil {
			return fmt.Errorf("interface %q: %w", args[0], err)
		}
		return nil
	}
	return fmt.Errorf("one interface expected, got %q", args)
}

// watch opens the capture and the outputs and runs the service until the
// file ends or a signal arrives.
func watch(ctx context.Context, c *cli, fs *pflag.FlagSet, cfg *conf.Config, env environment, d *daemonChild) int {
	var tap *logTap
	if c.tui { // the view holds the log lines while it owns the terminal
		tap = &logTap{w: env.stderr}
		env.stderr = tap
	}
	log, err := service.NewLogger(service.LogOptions{Format: cfg.LogFormat, W: env.stderr,
		NoTime: !env.logTime, Syslog: d != nil})
	if err != nil && d != nil && !errors.Is(err, service.ErrLogFormat) {
		err = fmt.Errorf("%w: -F logs to syslog, and there is no system logger at /dev/log: "+
			"run ipband in the foreground (--foreground) under a service manager, which keeps its log from standard error, "+
			"with --log-format json for a JSON log", err)
	}
	if err != nil {
		fmt.Fprintf(env.stderr, "ipband: %v\n", err)
		d.say(err.Error())
		return exitUsage
	}
	logf := func(format string, a ...any) {
		log.Error(fmt.Sprintf(format, a...))
		d.say(fmt.Sprintf(format, a...))
	}
	p, err := prepare(c, cfg, env, log, false)
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	pid, err := lockPidFile(cfg.PidFile)
	if err != nil {
		p.abort()
		logf("%v", err)
		return exitUsage
	}
	defer pid.remove()
	var view *tui.View
	if c.tui {
		what, _, _ := strings.Cut(p.src.String(), ", link type") // "interface eth0", "file x.pcap"
		view = tui.New(tui.Options{Title: what, Average: cfg.Average, Names: p.names})
		p.outputs = append(p.outputs, view)
	}
	if cfg.Debug >= 1 {
		report.WriteOptions(env.stdout, version, optionSummary(c, cfg, p.src)) //nolint:errcheck // best effort on a terminal
	}
	ec := engineConfig(cfg, p.networks)
	ec.Window = rateWindow(cfg, c.read.s == "", log)
	svc, err := service.New(service.Config{
		Source:  p.src,
		Engine:  ec,
		Outputs: p.outputs,
		Block:   c.read.s != "",
		Trace:   p.trace,
		Tasks:   p.tasks,
		Log:     log,
		Signals: env.signals,
		Flush:   cfg.MailTimeout,
		Reload: func() (watchdog.Config, error) {
			next, err := configure(c, fs)
			if err == nil {
				err = watchdog.CheckLenAdj(next.LenAdj, p.src.LinkType())
			}
			if err != nil {
				return watchdog.Config{}, err
			}
			d.absolute(c, next) // as the running config's, under -F
			if changed := restartOnly(cfg, next); len(changed) > 0 {
				log.Warn("changed, in force only after a restart: "+strings.Join(changed, ", "), "subsystem", "config")
			}
			if m := p.metrics(); m != nil {
				m.SetPeriods(next.Average, next.Report)
				m.SetPreloaded(preloadedPrefixes(next), p.networks.Name)
			}
			return engineConfig(next, p.networks), nil
		},
		Started: d.started,
	})
	if err != nil {
		p.abort()
		logf("%v", err)
		return exitUsage
	}
	if p.evidence != nil {
		svc.Engine().SetEvidence(p.evidence)
	}
	fsrc, isFlow := p.src.(flowSource)
	var annots annotators
	if isFlow {
		annots = append(annots, fsrc.Collector())
	}
	if p.annotate != nil {
		annots = append(annots, p.annotate)
		defer p.annotate.close()
	}
	if len(annots) > 0 {
		svc.Engine().SetAnnotator(annots)
	}
	if err := startEpisode(p.src, c.read.s, svc.Engine(), log); err != nil {
		p.abort()
		logf("%v", err)
		return exitUsage
	}
	if cfg.Debug == 0 {
		iface, _, _ := strings.Cut(p.src.String(), ",") // the default device named
		what := "watching " + iface
		if c.read.s != "" {
			what = "replaying " + c.read.s
		}
		log.Info(startLine(what, cfg))
	}
	runCtx, stopRun := context.WithCancel(ctx)
	defer stopRun()
	var ui *tuiRun
	if view != nil {
		ui, err = startTUI(view, svc.Engine(), tap, func() {
			log.Info("stopping on q: flushing outputs")
			stopRun()
		})
		if err != nil {
			p.abort()
			logf("%v", err)
			return exitUsage
		}
	}
	status := exitOK
	err = svc.Run(runCtx)
	if ui != nil {
		if c.read.s != "" && runCtx.Err() == nil && err == nil {
			ui.waitQuit(ctx, "end of "+c.read.s+": the outputs are written; q to quit")
		}
		ui.close()
	}
	if err != nil && !errors.Is(err, service.ErrLost) {
		logf("%v", err)
		status = exitFail
	}
	if p.evidence != nil {
		p.evidence.Close() //nolint:errcheck // each file's faults are logged by the writer
	}
	if isFlow {
		name := "flow listeners"
		if c.read.s != "" {
			name = c.read.s
		}
		log.Info(flowSummaryLine(name, svc.Engine().Stats()))
		for _, l := range fsrc.Collector().SummaryLines() {
			log.Info(l)
		}
	} else if c.read.s != "" {
		log.Info(summaryLine(c.read.s, svc.Engine().Stats(), false))
		start, last, closed := svc.Engine().Span()
		if line := shortReplayLine(c.read.s, start, last, closed, cfg.Average); line != "" && status == exitOK {
			log.Warn(line)
		}
	} else {
		line := summaryLine(liveName(cfg.Interface, p.src), svc.Engine().Stats(), true)
		if ls, ok := p.src.(*watchdog.LiveSource); ok && ls.Freezes() > 0 {
			line += fmt.Sprintf(", ring full %d times", ls.Freezes())
		}
		log.Info(line)
	}
	for _, l := range svc.Losses() {
		logf("%s", l)
		status = exitFail
	}
	if p.suggest != nil {
		if err := p.suggest.Write(env.stdout); err != nil {
			logf("%v", err)
			status = exitFail
		}
	}
	return status
}

// prepared is what watch runs: the capture, opened and checked, and the
// outputs.
type prepared struct {
	src      watchdog.Source
	outputs  []report.Output
	networks *subnet.Networks
	trace    io.Writer
	evidence *evidence.Dir  // evidencedir, or nil
	tasks    []service.Task // run beside the capture (a metrics server)
	mail     *mail.Queue    // -M, or nil; also among the outputs
	// mailSetup is what the mail queue reads from files (footer, password,
	// CA), read before the drop; nil without -M.
	mailSetup *mailSetup
	names     *report.Names      // service and protocol names
	annotate  *annotator         // asndb, countrydb, resolve ptr; or nil
	suggest   *suggest.Collector // --suggest: the only output, or nil
	dry       bool               // the parent of -F: checks; its child opens
	live      bool               // a live capture, not a replay
}

// mailCounts gives the metrics the mail queue's counters. The queue is
// set before the run starts, and so before any scrape.
func (p *prepared) mailCounts() metrics.MailCounts {
	if p.mail == nil {
		return metrics.MailCounts{}
	}
	c := p.mail.Counts()
	return metrics.MailCounts{Waiting: c.Waiting, Sent: c.Sent, Failed: c.Failed, Dropped: c.Dropped}
}

// abort closes what prepare opened, when the run does not start.
func (p *prepared) abort() {
	p.annotate.close()
	if p.evidence != nil {
		p.evidence.Close() //nolint:errcheck // nothing was written
	}
	if p.src != nil {
		p.src.Close() //nolint:errcheck // nothing was read
	}
	for _, t := range p.tasks {
		if cl, ok := t.(interface{ Close() error }); ok {
			cl.Close() //nolint:errcheck // never run
		}
	}
	for _, o := range p.outputs {
		if cl, ok := o.(report.Closer); ok {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			cl.Close(ctx) //nolint:errcheck // nothing was delivered yet
			cancel()
		}
	}
}

// prepare opens and checks everything that can fail at start: the outputs
// first (a bad footer or mail command stops ipband before the capture
// opens), then the capture and its filter.
func prepare(c *cli, cfg *conf.Config, env environment, log *slog.Logger, dry bool) (*prepared, error) {
	p := &prepared{names: report.SystemNames(env.services, env.protocols), dry: dry, live: c.read.s == ""}
	if c.suggest {
		opt, err := suggestOptions(c, cfg)
		if err != nil {
			return nil, err
		}
		p.suggest = suggest.NewCollector(opt)
	}
	outs, tasks, err := newOutputs(cfg, env, log, p)
	if err != nil {
		return nil, err
	}
	p.outputs, p.tasks = outs, tasks
	if p.annotate, err = openAnnotator(cfg); err != nil {
		p.abort()
		return nil, err
	}
	if run := p.annotate.task(); run != nil {
		p.tasks = append(p.tasks, service.TaskFunc(run))
	}
	src, err := openSource(c.read.s, cfg, service.Logf(log, "capture"))
	if err == nil {
		p.src = src
		err = watchdog.CheckLenAdj(cfg.LenAdj, src.LinkType())
		if f, ok := src.(*watchdog.FileSource); ok {
			f.SetSpeed(replaySpeed(c))
		}
	}
	if err != nil {
		var (
			lerr *watchdog.LenAdjError
			ferr *watchdog.FilterError
		)
		switch {
		case errors.As(err, &lerr):
			err = fmt.Errorf("flag -J/--lenadj or lenadj: %w", err)
		case errors.As(err, &ferr):
			err = fmt.Errorf("%s: %w", cfg.Origin("filter"), ferr)
		case src == nil: // the capture's errors name the interface (or the file)
		case c.read.s != "":
			err = fmt.Errorf("%s: %w", c.read.s, err)
		default:
			err = fmt.Errorf("interface %s: %w", cfg.Interface, err)
		}
		p.abort()
		return nil, err
	}
	// The capture is open: give up root before anything else is opened.
	// The parent of -F only checks: its child opens everything again, and
	// drops root itself.
	if dry {
		if err := privilege.Check(cfg.User); err != nil {
			p.abort()
			return nil, fmt.Errorf("flag --user or user: %w", err)
		}
	} else if err := privilege.Drop(cfg.User); err != nil {
		p.abort()
		return nil, fmt.Errorf("flag --user or user: %w", err)
	}
	if !dry && len(cfg.MailTo) > 0 { // checked with the outputs, opened as the user
		q, err := newMail(cfg, p.mailSetup, p.names, service.Logf(log, "mail"))
		if err != nil {
			p.abort()
			return nil, err
		}
		p.mail = q
		p.outputs = append(p.outputs, q)
	}
	var ev *evidence.Dir
	_, isFlow := src.(flowSource)
	if isFlow {
		for _, d := range []struct {
			name string
			set  bool
		}{{"filter", cfg.Filter != ""}, {"lenadj", cfg.LenAdj != 0}} {
			if d.set {
				log.Warn(fmt.Sprintf("%s: %s does not apply to flow records (IP-layer bytes): ignored", cfg.Origin(d.name), d.name), "subsystem", "capture")
			}
		}
	}
	if isFlow && cfg.EvidenceDir != "" {
		log.Warn(fmt.Sprintf("%s: evidence captures do not apply to flow records: none are written", cfg.Origin("evidencedir")), "subsystem", "evidence")
	} else {
		ev, err = openEvidence(cfg, src, service.Logf(log, "evidence"))
	}
	if err != nil {
		p.abort()
		return nil, fmt.Errorf("flag --evidence-dir or evidencedir %s: %w", cfg.EvidenceDir, err)
	}
	p.evidence = ev
	namesFile := env.networks
	if c.networks.s != "" {
		namesFile = c.networks.s
	}
	networks, err := loadNetworks(namesFile, c.networks.s != "")
	switch {
	case err != nil && c.networks.s != "":
		p.abort()
		return nil, err
	case err != nil:
		log.Warn(fmt.Sprintf("%v (network names not shown)", err), "subsystem", "names")
	}
	p.networks = networks
	if m := p.metrics(); m != nil {
		m.SetNames(networks.Name)
	}
	if cfg.Debug >= 3 {
		p.trace = env.stdout
	}
	return p, nil
}

// restartOnly names the directives that differ between the running config
// and next but that a reload does not apply: the capture and the outputs
// are opened once.
func restartOnly(running, next *conf.Config) []string {
	var d []string
	for _, x := range []struct {
		name string
		same bool
	}{
		{"interface", running.Interface == next.Interface},
		{"promisc", running.Promisc == next.Promisc},
		{"filter", running.Filter == next.Filter},
		{"debug", running.Debug == next.Debug},
		{"outfile", running.OutFile == next.OutFile},
		{"htmlfile", running.HTMLFile == next.HTMLFile},
		{"htmltitle", running.HTMLTitle == next.HTMLTitle},
		{"pagemode", running.PageMode == next.PageMode},
		{"mailto", slices.Equal(running.MailTo, next.MailTo)},
		{"mailfoot", running.MailFoot == next.MailFoot},
		{"mtastring", running.MTA == next.MTA},
		{"user", running.User == next.User},
		{"jsonfile", running.JSONFile == next.JSONFile},
		{"statsfile", running.StatsFile == next.StatsFile},
		{"metrics", running.Metrics == next.Metrics},
		{"notify", running.Notify == next.Notify},
		{"notifytimeout", running.NotifyTimeout == next.NotifyTimeout},
		{"pidfile", running.PidFile == next.PidFile},
		{"logformat", running.LogFormat == next.LogFormat},
		{"evidencedir", running.EvidenceDir == next.EvidenceDir},
		{"evidencesnaplen", running.EvidenceSnaplen == next.EvidenceSnaplen},
		{"namecache", running.NameCache == next.NameCache},
		{"asndb", running.ASNDB == next.ASNDB},
		{"countrydb", running.CountryDB == next.CountryDB},
		{"resolve", running.Resolve == next.Resolve},
		{"reader", running.Reader == next.Reader},
		{"ringsize", running.RingSize == next.RingSize},
		{"workers", running.Workers == next.Workers},
		{"flowlisten", slices.Equal(running.FlowListen, next.FlowListen)},
		{"flowexporter", fmt.Sprint(running.FlowExporters) == fmt.Sprint(next.FlowExporters)},
		{"flowgrace", running.FlowGrace == next.FlowGrace},
		{"flowskew", running.FlowSkew == next.FlowSkew},
	} {
		if !x.same {
			d = append(d, x.name)
		}
	}
	return d
}

// rateWindow returns the window of 5-minute rates the engine keeps for
// the 95th percentiles, restored in live capture from the stats stream
// when there is one (as the status page's history is; a replay's packet
// times are not the clock's, so it starts empty); a fault is logged.
func rateWindow(cfg *conf.Config, live bool, log *slog.Logger) *report.RateWindow {
	w := report.NewRateWindow(0, 0, 0)
	if live && cfg.StatsFile != "" && cfg.StatsFile != "-" {
		if _, err := report.RestoreWindow(w, cfg.StatsFile); err != nil {
			log.Warn(err.Error(), "subsystem", "stats-file")
		}
	}
	return w
}

// engineConfig builds the engine's configuration from cfg.
func engineConfig(cfg *conf.Config, networks *subnet.Networks) watchdog.Config {
	var preload []subnet.Preload
	for _, p := range cfg.Preloaded() {
		preload = append(preload, subnet.Preload{Prefix: p.Prefix, Threshold: p.Threshold, In: p.In, Out: p.Out})
	}
	return watchdog.Config{
		Average:    cfg.Average,
		Report:     cfg.Report,
		Top:        cfg.Top,
		Accumulate: cfg.Accumulate,
		LenAdj:     cfg.LenAdj,
		MaxConns:   cfg.MaxConns,

		MaxConnsTotal: cfg.MaxConnsTotal,
		NameCache:     cfg.NameCache,
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

// metrics returns the metrics output, or nil when there is none.
func (p *prepared) metrics() *metrics.Metrics {
	for _, o := range p.outputs {
		if m, ok := o.(*metrics.Metrics); ok {
			return m
		}
	}
	return nil
}

// newOutputs builds the outputs the config asks for, in the order they
// get each period and report. Adding an output is one line here. dry
// checks the mail settings without opening the mail queue, for the parent
// of -F, which must not send the spool its child will send.
func newOutputs(cfg *conf.Config, env environment, log *slog.Logger, p *prepared) ([]report.Output, []service.Task, error) {
	if p.suggest != nil {
		return []report.Output{p.suggest}, nil, nil
	}
	stdout := env.stdout
	names := p.names
	var outs []report.Output
	con := &console{}
	if cfg.Debug >= 2 {
		con.table = stdout
	}
	if cfg.OutFile == "-" {
		con.sink = report.NewWriterSink(stdout, names, service.Logf(log, "report-file"))
		con.sink.SetName("standard output")
	} else {
		outs = append(outs, &reportFile{path: cfg.OutFile, sink: report.NewFileSink(cfg.OutFile, names, service.Logf(log, "report-file"))})
	}
	if con.table != nil || con.sink != nil {
		var o report.Output = con
		if cfg.Debug >= 3 { // the trace writes stdout on the capture goroutine
			o = service.Inline{Output: con}
		}
		outs = append([]report.Output{o}, outs...)
	}
	if cfg.HTMLFile != "" {
		page := report.NewStatusPage(cfg.HTMLFile, cfg.HTMLTitle, pageOptions(cfg, names, stdout), service.Logf(log, "status-page"))
		outs = append(outs, &statusPage{path: cfg.HTMLFile, page: page, live: p.live})
	}
	var mailCounts func() metrics.MailCounts
	if len(cfg.MailTo) > 0 {
		// The mail queue is opened by prepare once root is given up, so that
		// its spool is written as the user ipband runs as; its settings are
		// checked now, with the other outputs, and its files (footer,
		// password, CA) read now, as root.
		if err := handOverSpool(cfg); err != nil {
			closeOutputs(outs)
			return nil, nil, fmt.Errorf("flag --spool-dir or spooldir: %w", err)
		}
		m, err := readMail(cfg, service.Logf(log, "mail"))
		if err == nil {
			err = checkMail(cfg, m)
		}
		if err != nil {
			closeOutputs(outs)
			return nil, nil, err
		}
		p.mailSetup = m
		mailCounts = p.mailCounts
	}
	machine, tasks, err := newMachineOutputs(cfg, names, log, mailCounts, p.dry)
	if err != nil {
		closeOutputs(outs)
		return nil, nil, err
	}
	return append(outs, machine...), tasks, nil
}

// optionSummary lists the settings for -d 1.
func optionSummary(c *cli, cfg *conf.Config, src watchdog.Source) []report.Option {
	yn := map[bool]string{true: "yes", false: "no"}
	cfgFile := c.config.s
	if c.noConfig {
		cfgFile = "(ignored)"
	} else if cfg.Source == "" {
		cfgFile += " (not found, defaults used)"
	}
	var subnets []string
	for _, p := range cfg.Preloaded() {
		l := fmt.Sprintf("%s bandwidth %.2f", p.Prefix, p.Threshold)
		for _, x := range []struct {
			word string
			v    float64
		}{{"in", p.In}, {"out", p.Out}, {"capacity", p.Capacity}} {
			if x.v > 0 {
				l += fmt.Sprintf(" %s %.2f", x.word, x.v)
			}
		}
		subnets = append(subnets, l)
	}
	opts := []report.Option{
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
		{Name: "Mail command", Value: mailVia(cfg)},
		{Name: "Report top connections", Value: fmt.Sprint(cfg.Top)},
		{Name: "Accumulate exceeded time", Value: yn[cfg.Accumulate]},
		{Name: "Table limits", Value: fmt.Sprintf("%d subnets, %d connections per subnet, %d in all", cfg.MaxSubnets, cfg.MaxConns, cfg.MaxConnsTotal)},
	}
	// ipband's own outputs and settings, when set.
	for _, o := range []report.Option{
		{Name: "JSON report file", Value: cfg.JSONFile},
		{Name: "Stats stream file", Value: cfg.StatsFile},
		{Name: "Metrics listen address", Value: cfg.Metrics},
		{Name: "Notify command", Value: cfg.Notify},
		{Name: "Evidence directory", Value: cfg.EvidenceDir},
		{Name: "Evidence snap length (live)", Value: evidenceSnap(cfg)},
		{Name: "Run as user", Value: cfg.User},
		{Name: "Pid file", Value: cfg.PidFile},
		{Name: "Flow exporters", Value: flowExporters(cfg)},
		{Name: "Names of the other side", Value: namesSummary(cfg)},
	} {
		if o.Value != "" {
			opts = append(opts, o)
		}
	}
	return opts
}

// namesSummary is how reports name the other side, for -d 1: the names
// book's size (not for flows: records carry no DNS answers or TLS
// names), reverse DNS and the MaxMind databases, or "" when none applies.
func namesSummary(cfg *conf.Config) string {
	var l []string
	if cfg.NameCache > 0 && len(cfg.FlowListen) == 0 {
		l = append(l, fmt.Sprintf("from the traffic (namecache %d)", cfg.NameCache))
	}
	if cfg.Resolve != "" && cfg.Resolve != "none" {
		l = append(l, "resolve "+cfg.Resolve)
	}
	if cfg.ASNDB != "" {
		l = append(l, "asndb "+cfg.ASNDB)
	}
	if cfg.CountryDB != "" {
		l = append(l, "countrydb "+cfg.CountryDB)
	}
	return strings.Join(l, ", ")
}

// evidenceSnap is evidencesnaplen for -d 1, when evidencedir is set.
func evidenceSnap(cfg *conf.Config) string {
	if cfg.EvidenceDir == "" {
		return ""
	}
	return fmt.Sprint(cfg.EvidenceSnaplen)
}

// flowExporters lists the flowexporter lines for -d 1, with the clock
// rules, or "" without flow listeners.
func flowExporters(cfg *conf.Config) string {
	if len(cfg.FlowListen) == 0 {
		return ""
	}
	var l []string
	for _, x := range cfg.FlowExporters {
		l = append(l, flow.Exporter{Addr: x.Addr, Name: x.Name, Sampling: x.Sampling, Interfaces: x.Interfaces}.String())
	}
	if len(l) == 0 {
		l = append(l, "any")
	}
	return fmt.Sprintf("%s; grace %ds, skew %ds", strings.Join(l, "; "), int(cfg.FlowGrace.Seconds()), int(cfg.FlowSkew.Seconds()))
}

// flowSummaryLine is the exit line of a flow source: "NAME: N records,
// B late bytes, N dropped by the kernel" (the last two when not 0).
func flowSummaryLine(name string, s report.Stats) string {
	line := fmt.Sprintf("%s: %d records", name, s.Records)
	if s.EvictedSubnets > 0 {
		line += fmt.Sprintf(", %d subnets evicted", s.EvictedSubnets)
	}
	if s.LateBytes > 0 {
		line += fmt.Sprintf(", %d late bytes", s.LateBytes)
	}
	if s.Dropped > 0 {
		line += fmt.Sprintf(", %d datagrams dropped by the kernel", s.Dropped)
	}
	return line
}

// liveName names a live capture and its reader in the exit summary:
// "interface eth0 (AF_PACKET TPACKET_V3 ring, 64 MiB)".
func liveName(iface string, src watchdog.Source) string {
	name := "live capture"
	if iface != "" {
		name = "interface " + iface
	}
	if ls, ok := src.(*watchdog.LiveSource); ok && ls.Reader() != "" {
		name += " (" + ls.Reader() + ")"
	}
	return name
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
	if s.DNSAnswers > 0 || s.DNSIgnored > 0 || s.DNSMalformed > 0 {
		line += fmt.Sprintf("; DNS: %d answers used, %d ignored, %d malformed", s.DNSAnswers, s.DNSIgnored, s.DNSMalformed)
	}
	if s.NamesEvicted > 0 {
		line += fmt.Sprintf(", %d names evicted", s.NamesEvicted)
	}
	return line
}
