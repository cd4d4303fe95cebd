package conf

import (
	"io/fs"
	"net/netip"
	"time"

	"ipband/mail"
	"ipband/subnet"
)

// DefaultPath is the config file read when -c is not given. A missing
// default file is not an error; a missing file named with -c is.
const DefaultPath = "/etc/ipband.conf"

// Config is the whole configuration of one ipband run: the classic
// directives plus ipband's own. A Config is built by Default, Load or Parse,
// changed only through Set while flags are applied, and treated as
// immutable once Validate has returned nil.
type Config struct {
	Interface  string        // interface; "" means pcap's default device
	Promisc    bool          // promisc yes/no, -P clears it
	Debug      int           // debug 0-3, -d
	Fork       bool          // fork yes/no, -F
	Filter     string        // filter, -f: BPF expression
	OutFile    string        // outfile, -o: append reports; "-" is stdout
	HTMLFile   string        // htmlfile, -w: status page; "" is off
	HTMLTitle  string        // htmltitle
	Bandwidth  float64       // bandwidth, -b: default threshold in kBytes/s, > 0
	Average    time.Duration // average, -a: averaging period, whole seconds >= 1
	LenAdj     int           // lenadj, -J: bytes added to every frame length
	Report     time.Duration // report, -r: reporting period, whole seconds >= 1
	Top        int           // top, -t: connections per report, 0 = all
	Accumulate bool          // accumulate yes/no, -A
	MailTo     []string      // mailto, -M: comma separated addresses
	MailFoot   string        // mailfoot, -l: footer file for mailed reports
	MTA        string        // mtastring, -T: command reading a message on stdin
	MaskBits   int           // maskbits, -m: IPv4 aggregation, 1-32
	MaskBits6  int           // maskbits6: IPv6 aggregation, 1-128
	LocalRange subnet.Ranges // localrange, -L: local ranges (repeatable)
	Subnets    []SubnetSpec  // subnet lines, in file order
	MaxSubnets int           // maxsubnets: cap on dynamic subnets, >= 1
	MaxConns   int           // maxconns: cap on connections per logging subnet, >= 1
	User       string        // user, --user: drop to this user after opening the capture; "" stays
	Reader     string        // reader, --reader: live capture through auto, afpacket or libpcap
	RingSize   int64         // ringsize, --ring-size: the kernel's capture buffer in bytes, MinRingSize..MaxRingSize
	Workers    int           // workers, --workers: capture workers, 1..MaxWorkers; WorkersAuto (0) for one per core up to the receive queues

	JSONFile      string        // jsonfile: append reports as JSON lines; "" is off, "-" is stdout
	StatsFile     string        // statsfile: append a JSON line every period; "" is off, "-" is stdout
	Metrics       string        // metrics: Prometheus listen address HOST:PORT; "" is off
	Notify        string        // notify: command run for each event, split like mtastring; "" is off
	NotifyTimeout time.Duration // notifytimeout: longest run of one notify command, whole seconds >= 1
	PidFile       string        // pidfile, --pidfile: process id file, locked while running; "" is none
	LogFormat     string        // logformat, --log-format: "text" or "json"

	// Mail delivery: SMTP submission or the MTA command, and the spool.
	SMTP         string        // smtp, --smtp: submission server host:port; "" runs the MTA command
	SMTPTLS      string        // smtptls, --smtp-tls: starttls, tls or none
	SMTPUser     string        // smtpuser, --smtp-user: AUTH user; "" for no AUTH
	SMTPPassFile string        // smtppassfile, --smtp-pass-file: file holding the AUTH password
	SMTPTLSCA    string        // smtptlsca, --smtp-tls-ca: PEM file of a private CA; "" for the system's
	MailFrom     string        // mailfrom, --mail-from: sender address; "" means ipband@ + host name
	SpoolDir     string        // spooldir, --spool-dir: messages not yet sent
	SpoolMax     int64         // spoolmax, --spool-max: cap on the spool in bytes, >= 1
	MailTimeout  time.Duration // mailtimeout, --mail-timeout: how long to try at exit, >= 0
	MailRetry    time.Duration // mailretry, --mail-retry: first wait after a temporary failure, > 0
	MailRetryMax time.Duration // mailretrymax, --mail-retry-max: longest wait between tries, > 0
	MailExpire   time.Duration // mailexpire, --mail-expire: how long a message is retried, > 0

	EvidenceDir string // evidencedir: a pcap per logging episode in this directory; "" is off
	// EvidenceSnaplen is evidencesnaplen, --evidence-snaplen: the bytes
	// of each frame a live capture keeps, with evidencedir, so that
	// evidence files hold them (64-262144; the decoder needs 512 at most).
	EvidenceSnaplen int
	// MaxConnsTotal is maxconnstotal: cap on the connections of all
	// logging subnets together, >= 1.
	MaxConnsTotal int
	// PageMode is pagemode: the mode of the status page and its reports
	// page, 0001 to 0777 (default DefaultPageMode, readable by a web server).
	PageMode fs.FileMode

	// Flow collection: listeners of NetFlow/IPFIX/sFlow exports instead of
	// a capture, the exporters accepted, and the clock rules.
	FlowListen    []string       // flowlisten, --flow-listen: UDP [ADDR]:PORT listeners (repeatable)
	FlowExporters []FlowExporter // flowexporter lines, in file order
	FlowGrace     time.Duration  // flowgrace: a period is judged this long after its end
	FlowSkew      time.Duration  // flowskew: exporter clocks further off are corrected
	// NameCache is namecache: how many names learned from the traffic are
	// kept (passive DNS entries, and as many TLS/HTTP claims); 0 turns
	// naming off.
	NameCache int
	// ASNDB and CountryDB are asndb and countrydb: MaxMind DB files giving
	// the ASN and the country of a report's remote addresses; "" is none.
	ASNDB, CountryDB string
	// Resolve is resolve: "ptr" adds forward-confirmed reverse DNS names
	// to the remote addresses of reports that have no other name; "none"
	// (the default) makes no lookup.
	Resolve string

	// Source names where the config came from ("ipband.conf" or "" when
	// built from defaults only), for messages.
	Source string

	// origins maps a directive to where its value came from, for Origin:
	// FILE:LINE or what SetFrom was given. nil until the first is set.
	origins map[string]string
}

// SubnetSpec is one `subnet ADDR [bandwidth N] [in N] [out N] [capacity
// N]` line as written. Masking is applied by Preloaded, after the whole
// file and all flags are known, so a subnet line may come before maskbits.
type SubnetSpec struct {
	Addr      netip.Addr
	Bits      int     // prefix length written as ADDR/BITS, or -1 to use maskbits/maskbits6
	Bandwidth float64 // threshold in kBytes/s; 0 means the default threshold
	In, Out   float64 // thresholds per direction in kBytes/s; 0 means none
	Capacity  float64 // the link's capacity per direction in kBytes/s, for --suggest; 0 means unknown
	Line      int     // line in the config file, for messages
}

// FlowExporter is one `flowexporter ADDR [name NAME] [sampling N]
// [interfaces IF,...]` line.
type FlowExporter struct {
	Addr       netip.Addr
	Name       string   // label in reports, the page and metrics; "" for the address
	Sampling   uint64   // rate used when the exporter sends none; 0 for none
	Interfaces []uint32 // interface indexes whose records count; empty for all
	Line       int      // line in the config file, 0 from elsewhere
}

// Defaults of the classic tool, and of ipband's own directives.
const (
	DefaultBandwidth  = 7.0
	DefaultAverage    = 60 * time.Second
	DefaultReport     = 300 * time.Second
	DefaultMaskBits   = 24
	DefaultMaskBits6  = 64
	DefaultOutFile    = "ipband.txt"
	DefaultHTMLTitle  = "Bandwidth Usage"
	DefaultMTA        = "/usr/sbin/sendmail -t -oi"
	DefaultMaxSubnets = 16384
	DefaultMaxConns   = 10000
	DefaultReader     = "auto"
	DefaultRingSize   = 64 << 20
	MinRingSize       = 64 << 10
	MaxRingSize       = 16 << 30
	DefaultWorkers    = 1
	MaxWorkers        = 256
	WorkersAuto       = 0 // "workers auto"

	DefaultNotifyTimeout = 10 * time.Second
	DefaultLogFormat     = "text"
	DefaultSMTPTLS       = "starttls"
	DefaultSpoolDir      = mail.DefaultSpoolDir
	DefaultSpoolMax      = mail.DefaultSpoolMax
	DefaultMailTimeout   = 30 * time.Second
	DefaultMailRetry     = mail.DefaultRetry
	DefaultMailRetryMax  = mail.DefaultRetryMax
	DefaultMailExpire    = mail.DefaultExpire
	// DefaultEvidenceSnaplen is the snap length of a live capture, which
	// evidence files keep unless evidencesnaplen says more.
	DefaultEvidenceSnaplen = 512
	// DefaultMaxConnsTotal keeps the worst case of the default caps (16384
	// subnets logging, 1,500,000 connections) near 256 MiB of heap.
	DefaultMaxConnsTotal = 1500000
	// DefaultFlowGrace exceeds the 60 s active timeout recommended for
	// exporters, with room for their export delay.
	DefaultFlowGrace = 120 * time.Second
	DefaultFlowSkew  = 300 * time.Second
	// DefaultNameCache keeps 16384 passive DNS entries and as many claims,
	// about 4.3 MiB and 3.2 MiB (BenchmarkBookEntryMemory,
	// BenchmarkClaimEntryMemory).
	DefaultNameCache = 16384
)

// DefaultPageMode is the status page's mode: the page exists to be served
// by a web server, so other users may read it.
const DefaultPageMode fs.FileMode = 0o644

// Default returns the configuration used when no file is read.
func Default() *Config {
	return &Config{
		Promisc:    true,
		OutFile:    DefaultOutFile,
		HTMLTitle:  DefaultHTMLTitle,
		Bandwidth:  DefaultBandwidth,
		Average:    DefaultAverage,
		Report:     DefaultReport,
		MTA:        DefaultMTA,
		MaskBits:   DefaultMaskBits,
		MaskBits6:  DefaultMaskBits6,
		MaxSubnets: DefaultMaxSubnets,
		MaxConns:   DefaultMaxConns,
		Reader:     DefaultReader,
		RingSize:   DefaultRingSize,
		Workers:    DefaultWorkers,

		NotifyTimeout: DefaultNotifyTimeout,
		LogFormat:     DefaultLogFormat,
		SMTPTLS:       DefaultSMTPTLS,
		SpoolDir:      DefaultSpoolDir,
		SpoolMax:      DefaultSpoolMax,
		MailTimeout:   DefaultMailTimeout,
		MailRetry:     DefaultMailRetry,
		MailRetryMax:  DefaultMailRetryMax,
		MailExpire:    DefaultMailExpire,
		MaxConnsTotal: DefaultMaxConnsTotal,
		PageMode:      DefaultPageMode,
		FlowGrace:     DefaultFlowGrace,
		FlowSkew:      DefaultFlowSkew,
		NameCache:     DefaultNameCache,
		Resolve:       "none",

		EvidenceSnaplen: DefaultEvidenceSnaplen,
	}
}
