package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"ipband/conf"
	"ipband/watchdog/suggest"
)

// option is one command-line flag that sets a config directive. Boolean
// flags set the directive to a fixed value.
type option struct {
	short, long string
	directive   string
	fixed       string // for boolean flags: the directive value they set
	arg, help   string
}

// options lists every directive flag: the classic short flags, long names
// for all of them, and ipband's own. Flags override the config file.
var options = []option{
	{"a", "average", "average", "", "SECS", "averaging period in seconds (default 60)"},
	{"A", "accumulate", "accumulate", "yes", "", "add the exceeded time since start to reports (preloaded subnets only)"},
	{"b", "bandwidth", "bandwidth", "", "RATE", "default threshold in kB/s (kilobytes, 1 kB = 1024 bytes), may be fractional; or with a unit: 22kB, 2MB, 176kbit, 1.5Mbit (default 7)"},
	{"d", "debug", "debug", "", "N", "0 none, 1 option summary, 2 subnet table every period, 3 every packet (default 0)"},
	{"f", "filter", "filter", "", "EXPR", "pcap (BPF) filter, tcpdump syntax"},
	{"F", "fork", "fork", "yes", "", "run in the background as a daemon"},
	{"i", "interface", "interface", "", "IFACE", "interface to capture on (same as the positional argument)"},
	{"J", "lenadj", "lenadj", "", "N", "bytes added to every frame length; may be negative down to minus the link header size (default 0)"},
	{"l", "mailfoot", "mailfoot", "", "FILE", "footer file appended to every mailed report"},
	{"L", "localrange", "localrange", "", "RANGES", "local ranges: lo-hi, ip/bits or a partial IP such as 10.10. ; colon separated, or comma separated when IPv6 is used"},
	{"m", "maskbits", "maskbits", "", "BITS", "IPv4 mask bits aggregating addresses into subnets, 1-32 (default 24)"},
	{"", "maskbits6", "maskbits6", "", "BITS", "IPv6 mask bits aggregating addresses into subnets, 1-128 (default 64)"},
	{"M", "mailto", "mailto", "", "ADDRS", "mail reports to these addresses, comma separated"},
	{"o", "outfile", "outfile", "", "FILE", "append reports to FILE; - means stdout (default ipband.txt)"},
	{"w", "htmlfile", "htmlfile", "", "FILE", "write an HTML status page every period, mode 0644 for a web server (directive pagemode)"},
	{"", "htmltitle", "htmltitle", "", "TEXT", "title of the HTML status page (default \"Bandwidth Usage\")"},
	{"P", "no-promisc", "promisc", "no", "", "do not put the interface in promiscuous mode"},
	{"r", "report", "report", "", "SECS", "reporting period: seconds a threshold must stay exceeded before a report (default 300)"},
	{"t", "top", "top", "", "N", "report only the top N connections, 0 = all (default 0)"},
	{"T", "mtastring", "mtastring", "", "CMD", "mail command reading a message on stdin (default \"/usr/sbin/sendmail -t -oi\")"},
	{"", "max-subnets", "maxsubnets", "", "N", fmt.Sprintf("most dynamic subnets tracked at once (default %d)", conf.DefaultMaxSubnets)},
	{"", "max-conns", "maxconns", "", "N", fmt.Sprintf("most connections kept per subnet in detail logging (default %d)", conf.DefaultMaxConns)},
	{"", "json-file", "jsonfile", "", "FILE", "also append every report to FILE as one JSON line; - means stdout"},
	{"", "stats-file", "statsfile", "", "FILE", "append a JSON line with the subnet table and counters every period; - means stdout"},
	{"", "metrics-listen", "metrics", "", "ADDR", "serve Prometheus metrics on http://ADDR/metrics, such as 127.0.0.1:9798 (default off)"},
	{"", "notify", "notify", "", "CMD", "run CMD, without a shell, for each logging_start, report and logging_end event, with the event as JSON on stdin"},
	{"", "notify-timeout", "notifytimeout", "", "SECS", fmt.Sprintf("kill a notify command still running after SECS seconds (default %d)", int(conf.DefaultNotifyTimeout.Seconds()))},
	{"", "user", "user", "", "USER", "after opening the capture, run as USER and its group with no capabilities (needs root; default: stay as started)"},
	{"", "pidfile", "pidfile", "", "FILE", "write the process id to FILE, locked while ipband runs and removed at exit"},
	{"", "log-format", "logformat", "", "FORMAT", "log lines as text (with timestamps; syslog under -F) or json (default text)"},
	{"", "smtp", "smtp", "", "HOST:PORT", "submit mail to this SMTP server instead of running the mail command (-T)"},
	{"", "smtp-tls", "smtptls", "", "MODE", "starttls (STARTTLS required), tls (implicit TLS, port 465) or none (default starttls)"},
	{"", "smtp-user", "smtpuser", "", "USER", "authenticate to the SMTP server as USER, with AUTH PLAIN or LOGIN"},
	{"", "smtp-pass-file", "smtppassfile", "", "FILE", "read the SMTP password from the first line of FILE"},
	{"", "smtp-tls-ca", "smtptlsca", "", "FILE", "PEM file of the CA that signs the SMTP server's certificate (default the system's CAs)"},
	{"", "mail-from", "mailfrom", "", "ADDR", "sender address of mailed reports (default ipband@ and the host name)"},
	{"", "spool-dir", "spooldir", "", "DIR", fmt.Sprintf("directory of the mail not yet sent, created 0700 (default %s)", conf.DefaultSpoolDir)},
	{"", "spool-max", "spoolmax", "", "SIZE", "cap on the mail spool, e.g. 64M; when full the oldest message is dropped (default 64M)"},
	{"", "mail-timeout", "mailtimeout", "", "DURATION", "how long to keep sending mail at exit; the rest stays spooled (default 30s)"},
	{"", "mail-retry", "mailretry", "", "DURATION", "wait after a temporary mail failure, doubling after each (default 30s)"},
	{"", "mail-retry-max", "mailretrymax", "", "DURATION", "longest wait between two mail attempts (default 1h)"},
	{"", "mail-expire", "mailexpire", "", "DURATION", "how long a message is retried before it fails for good (default 5d)"},
	{"", "evidence-dir", "evidencedir", "", "DIR", "write the frames of each logging episode to a pcapng file in DIR, named in its reports"},
	{"", "evidence-snaplen", "evidencesnaplen", "", "BYTES", fmt.Sprintf("bytes of each frame a live capture keeps for --evidence-dir, 64-262144 (default %d)", conf.DefaultEvidenceSnaplen)},
	{"", "reader", "reader", "", "READER", "live capture through auto (an AF_PACKET ring where Linux has one, else libpcap), afpacket or libpcap (default auto)"},
	{"", "ring-size", "ringsize", "", "SIZE", "the kernel's buffer for captured frames (AF_PACKET ring or libpcap buffer), e.g. 256M (default 64M)"},
	{"", "workers", "workers", "", "N", "count frames on N cores, each with its own ring in one fanout group; auto is one per core up to the interface's receive queues (default 1)"},
	{"", "max-conns-total", "maxconnstotal", "", "N", fmt.Sprintf("most connections kept in detail logging by all subnets together (default %d)", conf.DefaultMaxConnsTotal)},
	{"", "flow-listen", "flowlisten", "", "[ADDR]:PORT", "collect NetFlow v5/v9, IPFIX and sFlow exports on this UDP port instead of capturing; repeatable; with --read, replay the exports to PORT in a capture"},
}

// repeatable names the flags that may be given more than once: each adds
// to the list.
var repeatable = map[string]bool{"flow-listen": true}

// listValue is a repeatable flag's values, joined with commas for its
// directive.
type listValue struct {
	list []string
	arg  string
}

func (v *listValue) String() string     { return strings.Join(v.list, ",") }
func (v *listValue) Set(s string) error { v.list = append(v.list, s); return nil }
func (v *listValue) Type() string       { return v.arg }

// cli holds the flags that are not directives.
type cli struct {
	suggest         switchValue
	suggestFor      textValue
	fromStats       textValue
	suggestCapacity textValue
	suggestTop      textValue
	config          textValue
	noConfig        switchValue
	read            textValue
	networks        textValue
	help            switchValue
	version         switchValue
	foreground      switchValue
	tui             switchValue
	replaySpeed     textValue
}

// textValue is a flag's text, shown in --help with its argument name
// (SECS, KBPS, FILE) as the placeholder.
type textValue struct{ s, arg string }

func (v *textValue) String() string     { return v.s }
func (v *textValue) Set(s string) error { v.s = s; return nil }
func (v *textValue) Type() string       { return v.arg }

// switchValue is a flag that takes no value. Its type name is the one
// pflag prints without a "[=true|false]" placeholder.
type switchValue bool

func (v *switchValue) String() string { return strconv.FormatBool(bool(*v)) }
func (v *switchValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	*v = switchValue(b)
	return err
}
func (v *switchValue) Type() string     { return "boolfunc" }
func (v *switchValue) IsBoolFlag() bool { return true }

// newFlags returns the flag set of ipband, writing usage to w until
// SetOutput changes it.
func newFlags(c *cli, w io.Writer) *pflag.FlagSet {
	fs := pflag.NewFlagSet("ipband", pflag.ContinueOnError)
	fs.SetOutput(w)
	fs.SortFlags = false
	c.config = textValue{s: conf.DefaultPath, arg: "FILE"}
	c.read.arg, c.networks.arg, c.replaySpeed.arg = "FILE", "FILE", "SPEED"
	fs.VarP(&c.config, "config", "c", "config file")
	fs.VarP(&c.noConfig, "no-config", "C", "ignore the config file")
	fs.VarP(&c.read, "read", "R", "replay a pcap or pcapng FILE instead of capturing live")
	fs.Var(&c.networks, "networks", "network names FILE in /etc/networks syntax (default /etc/networks)")
	fs.Var(&c.tui, "tui", "full-screen live view of the subnets, sorted by load (keys: arrows, Enter, /, l r n a, p, q); outputs run as usual")
	fs.Var(&c.replaySpeed, "replay-speed", "pace --read: 1 replays at the pace of the capture, 10 ten times faster (default 0: as fast as it reads)")
	for _, o := range options {
		if o.fixed != "" {
			fs.VarP(new(switchValue), o.long, o.short, o.help)
		} else if repeatable[o.long] {
			fs.VarP(&listValue{arg: o.arg}, o.long, o.short, o.help)
		} else {
			fs.VarP(&textValue{arg: o.arg}, o.long, o.short, o.help)
		}
	}
	c.suggestFor.arg, c.fromStats.arg, c.suggestCapacity.arg, c.suggestTop.arg = "DURATION", "FILE", "RATE", "N"
	fs.Var(&c.suggest, "suggest", "print suggested subnet lines with their evidence from the traffic seen (--read, live until SIGINT/SIGTERM or --suggest-for, or --from-stats), and what they would have reported; no reports are made")
	fs.Var(&c.suggestFor, "suggest-for", "with --suggest on a live capture: stop after DURATION, such as 1h or 7d")
	fs.Var(&c.fromStats, "from-stats", "with --suggest: read the periods from a stats stream FILE (statsfile) instead of capturing")
	fs.Var(&c.suggestCapacity, "suggest-capacity", "with --suggest: the link capacity per direction, such as 128kbit, of the subnets whose line gives none; thresholds go to 70% of it")
	fs.Var(&c.suggestTop, "suggest-top", fmt.Sprintf("with --suggest: dynamic subnets suggested, the most traffic first (default %d)", suggest.DefaultTop))
	fs.Var(&c.foreground, "foreground", "stay in the foreground even with -F or fork yes (for service managers)")
	fs.VarP(&c.help, "help", "h", "show this help")
	fs.VarP(&c.version, "version", "v", "show the version")
	fs.Usage = func() { // to the current output: run sets stdout for -h
		out := fs.Output()
		fmt.Fprintf(out, "Usage: ipband [OPTIONS] [interface]\n\n"+
			"Watch bandwidth per subnet and report the top connections of subnets\n"+
			"that stay over their threshold. Command-line flags override the config file.\n\n")
		fmt.Fprint(out, fs.FlagUsagesWrapped(80))
	}
	return fs
}

// checkShorthands refuses a single-dash argument whose letters spell a
// long flag, such as -read: pflag takes it as -r with the value "ead",
// and the error it gives then ("-r: ead: not a number") hides the slip.
func checkShorthands(fs *pflag.FlagSet, args []string) error {
	for _, a := range args {
		if a == "--" {
			return nil
		}
		if len(a) < 3 || a[0] != '-' || a[1] == '-' {
			continue
		}
		name, _, _ := strings.Cut(a[1:], "=")
		if len(name) > 1 && fs.Lookup(name) != nil {
			return fmt.Errorf("flag %s: did you mean --%s? (long flags take two dashes)", a, name)
		}
	}
	return nil
}

// applyFlags sets the directives of the flags given on the command line,
// in the order of the options table, over cfg, recording each flag as the
// origin of its directive (cfg.Origin).
func applyFlags(fs *pflag.FlagSet, cfg *conf.Config) error {
	for _, o := range options {
		f := fs.Lookup(o.long)
		if !f.Changed {
			continue
		}
		v := f.Value.String()
		if o.fixed != "" {
			if v != "true" {
				continue
			}
			v = o.fixed
		}
		switch o.directive {
		case "localrange":
			cfg.LocalRange = nil // -L replaces the file's ranges
		case "flowlisten":
			cfg.FlowListen = nil // as the file's listeners
		}
		if err := cfg.SetFrom(o.directive, v, flagName(o)); err != nil {
			return fmt.Errorf("%s: %w", flagName(o), err)
		}
	}
	return nil
}

// flagName names a flag the way the user may have typed it.
func flagName(o option) string {
	if o.short == "" {
		return "flag --" + o.long
	}
	return "flag -" + o.short + "/--" + o.long
}
