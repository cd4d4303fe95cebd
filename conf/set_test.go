package conf_test

import (
	"errors"
	"io/fs"
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"

	"ipband/conf"
	"ipband/subnet"
)

// directives is every directive of SPEC §2 plus ipband's own.
var directives = []string{
	"interface", "promisc", "debug", "fork", "filter", "outfile", "htmlfile",
	"htmltitle", "bandwidth", "average", "lenadj", "report", "top",
	"accumulate", "mailto", "mailfoot", "mtastring", "maskbits", "localrange",
	"subnet", "maskbits6", "maxsubnets", "maxconns",
	"jsonfile", "statsfile", "metrics", "notify", "notifytimeout",
	"smtp", "smtptls", "smtpuser", "smtppassfile", "smtptlsca", "mailfrom",
	"spooldir", "spoolmax", "mailtimeout", "mailretry", "mailretrymax", "mailexpire",
	"reader", "ringsize", "workers",
}

type setCase struct {
	key, value string
	get        func(*conf.Config) any
	want       any   // value of get after a successful Set
	err        error // error wanted, tested with errors.Is; nil for success
}

func setCases() []setCase {
	var (
		iface    = func(c *conf.Config) any { return c.Interface }
		promisc  = func(c *conf.Config) any { return c.Promisc }
		user     = func(c *conf.Config) any { return c.User }
		maxtotal = func(c *conf.Config) any { return c.MaxConnsTotal }
		namecach = func(c *conf.Config) any { return c.NameCache }
		asndb    = func(c *conf.Config) any { return c.ASNDB }
		country  = func(c *conf.Config) any { return c.CountryDB }
		resolve  = func(c *conf.Config) any { return c.Resolve }
		evidence = func(c *conf.Config) any { return c.EvidenceDir }
		evsnap   = func(c *conf.Config) any { return c.EvidenceSnaplen }
		pagemode = func(c *conf.Config) any { return c.PageMode }
		pidfile  = func(c *conf.Config) any { return c.PidFile }
		reader   = func(c *conf.Config) any { return c.Reader }
		ringSize = func(c *conf.Config) any { return c.RingSize }
		workers  = func(c *conf.Config) any { return c.Workers }
		logfmt   = func(c *conf.Config) any { return c.LogFormat }
		debug    = func(c *conf.Config) any { return c.Debug }
		fork     = func(c *conf.Config) any { return c.Fork }
		filter   = func(c *conf.Config) any { return c.Filter }
		outfile  = func(c *conf.Config) any { return c.OutFile }
		htmlfile = func(c *conf.Config) any { return c.HTMLFile }
		title    = func(c *conf.Config) any { return c.HTMLTitle }
		bw       = func(c *conf.Config) any { return c.Bandwidth }
		average  = func(c *conf.Config) any { return c.Average }
		lenadj   = func(c *conf.Config) any { return c.LenAdj }
		report   = func(c *conf.Config) any { return c.Report }
		top      = func(c *conf.Config) any { return c.Top }
		accum    = func(c *conf.Config) any { return c.Accumulate }
		mailto   = func(c *conf.Config) any { return c.MailTo }
		mailfoot = func(c *conf.Config) any { return c.MailFoot }
		mta      = func(c *conf.Config) any { return c.MTA }
		mask     = func(c *conf.Config) any { return c.MaskBits }
		mask6    = func(c *conf.Config) any { return c.MaskBits6 }
		local    = func(c *conf.Config) any { return c.LocalRange }
		subnets  = func(c *conf.Config) any { return c.Subnets }
		maxsub   = func(c *conf.Config) any { return c.MaxSubnets }
		maxconns = func(c *conf.Config) any { return c.MaxConns }
		jsonfile = func(c *conf.Config) any { return c.JSONFile }
		stats    = func(c *conf.Config) any { return c.StatsFile }
		metrics  = func(c *conf.Config) any { return c.Metrics }
		notify   = func(c *conf.Config) any { return c.Notify }
		ntimeout = func(c *conf.Config) any { return c.NotifyTimeout }

		smtpAddr  = func(c *conf.Config) any { return c.SMTP }
		smtpTLS   = func(c *conf.Config) any { return c.SMTPTLS }
		smtpUser  = func(c *conf.Config) any { return c.SMTPUser }
		passFile  = func(c *conf.Config) any { return c.SMTPPassFile }
		tlsCA     = func(c *conf.Config) any { return c.SMTPTLSCA }
		mailFrom  = func(c *conf.Config) any { return c.MailFrom }
		spoolDir  = func(c *conf.Config) any { return c.SpoolDir }
		spoolMax  = func(c *conf.Config) any { return c.SpoolMax }
		mailTime  = func(c *conf.Config) any { return c.MailTimeout }
		mailRetry = func(c *conf.Config) any { return c.MailRetry }
		retryMax  = func(c *conf.Config) any { return c.MailRetryMax }
		expire    = func(c *conf.Config) any { return c.MailExpire }

		flowListen = func(c *conf.Config) any { return c.FlowListen }
		exporters  = func(c *conf.Config) any { return c.FlowExporters }
		flowGrace  = func(c *conf.Config) any { return c.FlowGrace }
		flowSkew   = func(c *conf.Config) any { return c.FlowSkew }
	)
	a := netip.MustParseAddr
	return []setCase{
		{"interface", "eth0", iface, "eth0", nil},
		{"interface", "  wlp3s0 ", iface, "wlp3s0", nil},
		{"interface", "eth0 eth1", iface, nil, conf.ErrInvalidValue},
		{"interface", "", iface, nil, conf.ErrMissingValue},

		{"promisc", "no", promisc, false, nil},
		{"promisc", "OFF", promisc, false, nil},
		{"promisc", "false", promisc, false, nil},
		{"promisc", "0", promisc, false, nil},
		{"promisc", "maybe", promisc, nil, conf.ErrInvalidValue},

		{"debug", "2", debug, 2, nil},
		{"debug", "0", debug, 0, nil},
		{"debug", "4", debug, nil, conf.ErrOutOfRange},
		{"debug", "-1", debug, nil, conf.ErrOutOfRange},
		{"debug", "two", debug, nil, conf.ErrInvalidValue},

		{"fork", "yes", fork, true, nil},
		{"fork", "On", fork, true, nil},
		{"fork", "TRUE", fork, true, nil},
		{"fork", "1", fork, true, nil},
		{"fork", "2", fork, nil, conf.ErrInvalidValue},
		{"fork", "ok", fork, true, nil},
		{"fork", "OK", fork, true, nil},
		{"fork", "okay", fork, nil, conf.ErrInvalidValue},

		{"filter", "tcp port 80 and not host 10.0.0.1", filter, "tcp port 80 and not host 10.0.0.1", nil},
		{"filter", "udp # not a comment", filter, "udp # not a comment", nil},
		{"filter", "tcp\x00", filter, nil, conf.ErrInvalidValue},

		{"outfile", "-", outfile, "-", nil},
		{"outfile", "/var/log/ipband.txt", outfile, "/var/log/ipband.txt", nil},
		{"outfile", "a\nb", outfile, nil, conf.ErrInvalidValue},

		{"htmlfile", "/var/www/ipband.html", htmlfile, "/var/www/ipband.html", nil},
		{"htmlfile", "a\rb", htmlfile, nil, conf.ErrInvalidValue},

		{"htmltitle", "Link #2\tusage", title, "Link #2\tusage", nil},
		{"htmltitle", "bell\x07", title, nil, conf.ErrInvalidValue},
		{"htmltitle", " \t ", title, nil, conf.ErrMissingValue},

		{"bandwidth", "3.5", bw, 3.5, nil},
		{"bandwidth", "22", bw, 22.0, nil},
		{"bandwidth", "0", bw, nil, conf.ErrOutOfRange},
		{"bandwidth", "-1", bw, nil, conf.ErrOutOfRange},
		{"bandwidth", "NaN", bw, nil, conf.ErrInvalidValue},
		{"bandwidth", "inf", bw, nil, conf.ErrInvalidValue},
		{"bandwidth", "1e999", bw, nil, conf.ErrOutOfRange},
		{"bandwidth", "7kB", bw, 7.0, nil},
		{"bandwidth", "22 kB/s", bw, 22.0, nil},
		{"bandwidth", "22kBps", bw, 22.0, nil},
		{"bandwidth", "2MB", bw, 2048.0, nil},
		{"bandwidth", "176kbit", bw, 176000.0 / 8 / 1024, nil},
		{"bandwidth", "1.5Mbit", bw, 1.5e6 / 8 / 1024, nil},
		{"bandwidth", "1Gbit/s", bw, 1e9 / 8 / 1024, nil},
		{"bandwidth", "8192bit", bw, 1.0, nil},
		{"bandwidth", "128k", bw, nil, conf.ErrInvalidValue},
		{"bandwidth", "128kb", bw, nil, conf.ErrInvalidValue},
		{"bandwidth", "10Mbps", bw, nil, conf.ErrInvalidValue},
		{"bandwidth", "10furlongs", bw, nil, conf.ErrInvalidValue},
		{"bandwidth", "kbit", bw, nil, conf.ErrInvalidValue},
		{"bandwidth", "-1kbit", bw, nil, conf.ErrOutOfRange},

		{"average", "30", average, 30 * time.Second, nil},
		{"average", "1", average, time.Second, nil},
		{"average", "31536000", average, conf.MaxPeriod, nil},
		{"average", "0", average, nil, conf.ErrOutOfRange},
		{"average", "-60", average, nil, conf.ErrOutOfRange},
		{"average", "1.5", average, nil, conf.ErrInvalidValue},
		{"average", "60s", average, nil, conf.ErrInvalidValue},
		{"average", "31536001", average, nil, conf.ErrOutOfRange},
		{"average", "99999999999999999999", average, nil, conf.ErrOutOfRange},

		{"lenadj", "-14", lenadj, -14, nil},
		{"lenadj", "4", lenadj, 4, nil},
		{"lenadj", "65535", lenadj, 65535, nil},
		{"lenadj", "-65535", lenadj, -65535, nil},
		{"lenadj", "65536", lenadj, nil, conf.ErrOutOfRange},
		{"lenadj", "-65536", lenadj, nil, conf.ErrOutOfRange},
		{"lenadj", "x", lenadj, nil, conf.ErrInvalidValue},

		{"report", "300", report, 300 * time.Second, nil},
		{"report", "0", report, nil, conf.ErrOutOfRange},
		{"report", "-300", report, nil, conf.ErrOutOfRange},
		{"report", "five", report, nil, conf.ErrInvalidValue},

		{"top", "20", top, 20, nil},
		{"top", "0", top, 0, nil},
		{"top", "-1", top, nil, conf.ErrOutOfRange},
		{"top", "1.0", top, nil, conf.ErrInvalidValue},

		{"accumulate", "yes", accum, true, nil},
		{"accumulate", "y", accum, nil, conf.ErrInvalidValue},

		{"mailto", "netadmin@example.com", mailto, []string{"netadmin@example.com"}, nil},
		{"mailto", "a@example.com, b@example.org,root", mailto, []string{"a@example.com", "b@example.org", "root"}, nil},
		{"mailto", "a@example.com,,b@example.com", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "a@example.com,", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "a@example.com\r\nBcc: x@example.com", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "Admin <a@example.com>", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "a@@example.com", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "@example.com", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "a@", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "a@example..com", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "-oQ/tmp", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "a\"b@example.com", mailto, nil, conf.ErrInvalidValue},
		{"mailto", strings.Repeat("a", 250) + "@b.cd", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "ü@example.com", mailto, nil, conf.ErrInvalidValue},
		{"mailto", "noc@exämple.com", mailto, nil, conf.ErrInvalidValue},

		{"mailfoot", "/etc/ipband.foot", mailfoot, "/etc/ipband.foot", nil},
		{"mailfoot", "foot\x1b[0m", mailfoot, nil, conf.ErrInvalidValue},

		{"mtastring", "/usr/sbin/sendmail -t -oi -f ipband", mta, "/usr/sbin/sendmail -t -oi -f ipband", nil},
		{"mtastring", "", mta, nil, conf.ErrMissingValue},

		{"maskbits", "16", mask, 16, nil},
		{"maskbits", "1", mask, 1, nil},
		{"maskbits", "32", mask, 32, nil},
		{"maskbits", "0", mask, nil, conf.ErrOutOfRange},
		{"maskbits", "33", mask, nil, conf.ErrOutOfRange},
		{"maskbits", "/24", mask, nil, conf.ErrInvalidValue},

		{"maskbits6", "48", mask6, 48, nil},
		{"maskbits6", "128", mask6, 128, nil},
		{"maskbits6", "0", mask6, nil, conf.ErrOutOfRange},
		{"maskbits6", "129", mask6, nil, conf.ErrOutOfRange},

		{"localrange", "10.10.:192.168.1.0/24", local, subnet.Ranges{
			{Lo: a("10.10.0.0"), Hi: a("10.10.255.255")},
			{Lo: a("192.168.1.0"), Hi: a("192.168.1.255")},
		}, nil},
		{"localrange", "2001:db8::/32, 172.16.0.1-172.16.0.200", local, subnet.Ranges{
			{Lo: a("2001:db8::"), Hi: a("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")},
			{Lo: a("172.16.0.1"), Hi: a("172.16.0.200")},
		}, nil},
		{"localrange", "10.300.", local, nil, subnet.ErrInvalidAddr},

		{"subnet", "10.10.123.0 bandwidth 22", subnets, []conf.SubnetSpec{{Addr: a("10.10.123.0"), Bits: -1, Bandwidth: 22}}, nil},
		{"subnet", "10.10.44.0", subnets, []conf.SubnetSpec{{Addr: a("10.10.44.0"), Bits: -1}}, nil},
		{"subnet", "10.20.0.0/16  BandWidth\t0.5", subnets, []conf.SubnetSpec{{Addr: a("10.20.0.0"), Bits: 16, Bandwidth: 0.5}}, nil},
		{"subnet", "2001:db8:1::/48 bandwidth 0", subnets, []conf.SubnetSpec{{Addr: a("2001:db8:1::"), Bits: 48}}, nil},
		{"subnet", "10.10.300.0", subnets, nil, subnet.ErrInvalidAddr},
		{"subnet", "10.10.1.0/33", subnets, nil, subnet.ErrInvalidBits},
		{"subnet", "10.10.1.0 bandwidth", subnets, nil, conf.ErrInvalidValue},
		{"subnet", "10.10.1.0 bandwidth fast", subnets, nil, conf.ErrInvalidValue},
		{"subnet", "10.10.1.0 bandwidth -1", subnets, nil, conf.ErrOutOfRange},
		{"subnet", "10.10.1.0 bandwidth NaN", subnets, nil, conf.ErrInvalidValue},
		{"subnet", "10.10.1.0 speed 3", subnets, nil, conf.ErrInvalidValue},
		{"subnet", "10.10.1.0 bandwidth 3 extra", subnets, nil, conf.ErrInvalidValue},
		{"subnet", "10.10.1.0 22", subnets, nil, conf.ErrInvalidValue},

		{"maxsubnets", "100", maxsub, 100, nil},
		{"maxsubnets", "0", maxsub, nil, conf.ErrOutOfRange},

		{"maxconns", "5", maxconns, 5, nil},
		{"maxconns", "0", maxconns, nil, conf.ErrOutOfRange},
		{"maxconns", "-5", maxconns, nil, conf.ErrOutOfRange},

		{"pidfile", "/run/ipband.pid", pidfile, "/run/ipband.pid", nil},
		{"pidfile", "a\x01b", pidfile, nil, conf.ErrInvalidValue},

		{"logformat", "json", logfmt, "json", nil},
		{"logformat", "JSON", logfmt, "json", nil},
		{"logformat", "xml", logfmt, nil, conf.ErrInvalidValue},

		{"evidencedir", "/var/lib/ipband/evidence", evidence, "/var/lib/ipband/evidence", nil},
		{"evidencedir", "dir\x07", evidence, nil, conf.ErrInvalidValue},

		{"evidencesnaplen", "65535", evsnap, 65535, nil},
		{"evidencesnaplen", "63", evsnap, nil, conf.ErrOutOfRange},
		{"pagemode", "0640", pagemode, fs.FileMode(0o640), nil},
		{"pagemode", "644", pagemode, fs.FileMode(0o644), nil},
		{"pagemode", "0999", pagemode, nil, conf.ErrInvalidValue},
		{"pagemode", "4755", pagemode, nil, conf.ErrOutOfRange},
		{"pagemode", "0", pagemode, nil, conf.ErrOutOfRange},
		{"flowlisten", ":2055", flowListen, []string{":2055"}, nil},
		{"flowlisten", "127.0.0.1:2055,[::1]:6343", flowListen, []string{"127.0.0.1:2055", "[::1]:6343"}, nil},
		{"flowlisten", "2055", flowListen, nil, conf.ErrInvalidValue},
		{"flowlisten", "router.example:2055", flowListen, nil, conf.ErrInvalidValue},
		{"flowlisten", ":70000", flowListen, nil, conf.ErrOutOfRange},
		{"flowexporter", "192.0.2.1", exporters, []conf.FlowExporter{{Addr: a("192.0.2.1")}}, nil},
		{"flowexporter", "192.0.2.1 name edge1 sampling 1000 interfaces 2,7", exporters,
			[]conf.FlowExporter{{Addr: a("192.0.2.1"), Name: "edge1", Sampling: 1000, Interfaces: []uint32{2, 7}}}, nil},
		{"flowexporter", "edge1", exporters, nil, conf.ErrInvalidValue},
		{"flowexporter", "192.0.2.1 sampling 0", exporters, nil, conf.ErrOutOfRange},
		{"flowexporter", "192.0.2.1 name", exporters, nil, conf.ErrMissingValue},
		{"flowexporter", "192.0.2.1 colour red", exporters, nil, conf.ErrInvalidValue},
		{"flowgrace", "300", flowGrace, 300 * time.Second, nil},
		{"flowgrace", "0", flowGrace, nil, conf.ErrOutOfRange},
		{"flowskew", "60", flowSkew, 60 * time.Second, nil},
		{"flowskew", "soon", flowSkew, nil, conf.ErrInvalidValue},

		{"maxconnstotal", "100000", maxtotal, 100000, nil},
		{"maxconnstotal", "0", maxtotal, nil, conf.ErrOutOfRange},

		{"namecache", "0", namecach, 0, nil},
		{"namecache", "100000", namecach, 100000, nil},
		{"namecache", "-1", namecach, nil, conf.ErrOutOfRange},
		{"asndb", "/var/lib/ipband/asn.mmdb", asndb, "/var/lib/ipband/asn.mmdb", nil},
		{"asndb", "asn\x07.mmdb", asndb, nil, conf.ErrInvalidValue},
		{"countrydb", "/var/lib/ipband/country.mmdb", country, "/var/lib/ipband/country.mmdb", nil},
		{"countrydb", "c\x00.mmdb", country, nil, conf.ErrInvalidValue},
		{"resolve", "PTR", resolve, "ptr", nil},
		{"resolve", "none", resolve, "none", nil},
		{"resolve", "rdns", resolve, nil, conf.ErrInvalidValue},

		{"user", "nobody", user, "nobody", nil},
		{"user", "no body", user, nil, conf.ErrInvalidValue},

		{"jsonfile", "/var/log/ipband.json", jsonfile, "/var/log/ipband.json", nil},
		{"jsonfile", "-", jsonfile, "-", nil},
		{"jsonfile", "a\nb", jsonfile, nil, conf.ErrInvalidValue},

		{"statsfile", "/var/log/ipband-stats.json", stats, "/var/log/ipband-stats.json", nil},
		{"statsfile", "x\x00", stats, nil, conf.ErrInvalidValue},

		{"metrics", "127.0.0.1:9798", metrics, "127.0.0.1:9798", nil},
		{"metrics", "[::1]:9798", metrics, "[::1]:9798", nil},
		{"metrics", ":9798", metrics, ":9798", nil},
		{"metrics", "localhost:0", metrics, "localhost:0", nil},
		{"metrics", "9798", metrics, nil, conf.ErrInvalidValue},
		{"metrics", "127.0.0.1", metrics, nil, conf.ErrInvalidValue},
		{"metrics", "::1:9798", metrics, nil, conf.ErrInvalidValue},
		{"metrics", "127.0.0.1:http", metrics, nil, conf.ErrInvalidValue},
		{"metrics", "127.0.0.1:65536", metrics, nil, conf.ErrOutOfRange},
		{"metrics", "127.0.0.1:-1", metrics, nil, conf.ErrOutOfRange},

		{"notify", "/usr/local/bin/ipband-hook --event", notify, "/usr/local/bin/ipband-hook --event", nil},
		{"notify", "hook\x1b", notify, nil, conf.ErrInvalidValue},
		{"notify", " ", notify, nil, conf.ErrMissingValue},

		{"notifytimeout", "30", ntimeout, 30 * time.Second, nil},
		{"notifytimeout", "0", ntimeout, nil, conf.ErrOutOfRange},
		{"notifytimeout", "2.5", ntimeout, nil, conf.ErrInvalidValue},
		{"smtp", "mail.example.com:587", smtpAddr, "mail.example.com:587", nil},
		{"smtp", "[2001:db8::25]:465", smtpAddr, "[2001:db8::25]:465", nil},
		{"smtp", "mail.example.com", smtpAddr, nil, conf.ErrInvalidValue},
		{"smtp", "mail.example.com:submission", smtpAddr, nil, conf.ErrInvalidValue},
		{"smtp", "mail.example.com:0", smtpAddr, nil, conf.ErrInvalidValue},
		{"smtp", ":25", smtpAddr, nil, conf.ErrInvalidValue},

		{"smtptls", "STARTTLS", smtpTLS, "starttls", nil},
		{"smtptls", "tls", smtpTLS, "tls", nil},
		{"smtptls", "none", smtpTLS, "none", nil},
		{"smtptls", "ssl", smtpTLS, nil, conf.ErrInvalidValue},

		{"smtpuser", "ipband@example.com", smtpUser, "ipband@example.com", nil},
		{"smtpuser", "two words", smtpUser, nil, conf.ErrInvalidValue},

		{"smtppassfile", "/etc/ipband/smtp.pass", passFile, "/etc/ipband/smtp.pass", nil},
		{"smtppassfile", "pass\x00", passFile, nil, conf.ErrInvalidValue},

		{"smtptlsca", "/etc/ipband/ca.pem", tlsCA, "/etc/ipband/ca.pem", nil},
		{"smtptlsca", "ca\x1b.pem", tlsCA, nil, conf.ErrInvalidValue},

		{"mailfrom", "ipband@gw.example.com", mailFrom, "ipband@gw.example.com", nil},
		{"mailfrom", "ipband", mailFrom, "ipband", nil},
		{"mailfrom", "Ipband <ipband@gw.example.com>", mailFrom, nil, conf.ErrInvalidValue},
		{"mailfrom", "ü@example.com", mailFrom, nil, conf.ErrInvalidValue},

		{"spooldir", "/var/tmp/ipband spool", spoolDir, "/var/tmp/ipband spool", nil},
		{"spooldir", "", spoolDir, nil, conf.ErrMissingValue},

		{"spoolmax", "1048576", spoolMax, int64(1 << 20), nil},
		{"spoolmax", "64M", spoolMax, int64(64 << 20), nil},
		{"spoolmax", "512 KiB", spoolMax, int64(512 << 10), nil},
		{"spoolmax", "2GB", spoolMax, int64(2 << 30), nil},
		{"spoolmax", "0", spoolMax, nil, conf.ErrOutOfRange},
		{"spoolmax", "64X", spoolMax, nil, conf.ErrInvalidValue},
		{"spoolmax", "lots", spoolMax, nil, conf.ErrInvalidValue},

		{"reader", "afpacket", reader, "afpacket", nil},
		{"reader", "LIBPCAP", reader, "libpcap", nil},
		{"reader", "auto", reader, "auto", nil},
		{"reader", "pfring", reader, nil, conf.ErrInvalidValue},

		{"ringsize", "64M", ringSize, int64(64 << 20), nil},
		{"workers", "4", workers, 4, nil},
		{"workers", "auto", workers, conf.WorkersAuto, nil},
		{"workers", "AUTO", workers, conf.WorkersAuto, nil},
		{"workers", "0", workers, nil, conf.ErrOutOfRange},
		{"workers", "257", workers, nil, conf.ErrOutOfRange},
		{"workers", "many", workers, nil, conf.ErrInvalidValue},
		{"ringsize", "1G", ringSize, int64(1 << 30), nil},
		{"ringsize", "65536", ringSize, int64(64 << 10), nil},
		{"ringsize", "16K", ringSize, nil, conf.ErrOutOfRange},
		{"ringsize", "32G", ringSize, nil, conf.ErrOutOfRange},
		{"ringsize", "big", ringSize, nil, conf.ErrInvalidValue},

		{"mailtimeout", "30", mailTime, 30 * time.Second, nil},
		{"mailtimeout", "0", mailTime, time.Duration(0), nil},
		{"mailtimeout", "1m30s", mailTime, 90 * time.Second, nil},
		{"mailtimeout", "-1", mailTime, nil, conf.ErrInvalidValue},
		{"mailtimeout", "soon", mailTime, nil, conf.ErrInvalidValue},

		{"mailretry", "500ms", mailRetry, 500 * time.Millisecond, nil},
		{"mailretry", "0", mailRetry, nil, conf.ErrOutOfRange},

		{"mailretrymax", "1h", retryMax, time.Hour, nil},
		{"mailretrymax", "1x", retryMax, nil, conf.ErrInvalidValue},

		{"mailexpire", "5d", expire, 5 * 24 * time.Hour, nil},
		{"mailexpire", "36h", expire, 36 * time.Hour, nil},
		{"mailexpire", "400d", expire, nil, conf.ErrInvalidValue},
	}
}

func TestSet(t *testing.T) {
	for _, tt := range setCases() {
		t.Run(tt.key+"="+tt.value, func(t *testing.T) {
			c := conf.Default()
			err := c.Set(tt.key, tt.value)
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("Set(%q, %q) = %v, want error %v", tt.key, tt.value, err, tt.err)
				}
				if !reflect.DeepEqual(c, conf.Default()) {
					t.Errorf("failed Set(%q, %q) changed the config", tt.key, tt.value)
				}
				return
			}
			if err != nil {
				t.Fatalf("Set(%q, %q) = %v", tt.key, tt.value, err)
			}
			if got := tt.get(c); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Set(%q, %q): got %#v, want %#v", tt.key, tt.value, got, tt.want)
			}
			// Validate checks with the same table: what Set stored passes.
			if err := c.Validate(); err != nil && !errors.Is(err, conf.ErrConflict) {
				t.Errorf("Set(%q, %q) stored a value Validate refuses: %v", tt.key, tt.value, err)
			}
		})
	}
}

// TestSetCoversEveryDirective checks that the table of TestSet has a good
// and a bad value for every directive.
func TestSetCoversEveryDirective(t *testing.T) {
	good, bad := map[string]bool{}, map[string]bool{}
	for _, tt := range setCases() {
		if tt.err == nil {
			good[tt.key] = true
		} else {
			bad[tt.key] = true
		}
	}
	for _, d := range conf.Directives() {
		if !good[d] || !bad[d] {
			t.Errorf("directive %q: good value tested %v, bad value tested %v", d, good[d], bad[d])
		}
	}
}

// TestDirectives checks that every directive of SPEC §2 and ipband's own
// is in the table, once.
func TestDirectives(t *testing.T) {
	have := map[string]int{}
	for _, d := range conf.Directives() {
		have[d]++
	}
	for _, d := range directives {
		if have[d] != 1 {
			t.Errorf("directive %q is in the table %d times", d, have[d])
		}
	}
}

func TestSetKeyCase(t *testing.T) {
	c := conf.Default()
	for _, kv := range [][2]string{{"MaskBits", "16"}, {"SUBNET", "10.1.2.0 BANDWIDTH 3"}, {"Promisc", "NO"}} {
		if err := c.Set(kv[0], kv[1]); err != nil {
			t.Fatalf("Set(%q, %q) = %v", kv[0], kv[1], err)
		}
	}
	want := []conf.SubnetSpec{{Addr: netip.MustParseAddr("10.1.2.0"), Bits: -1, Bandwidth: 3}}
	if c.MaskBits != 16 || c.Promisc || !reflect.DeepEqual(c.Subnets, want) {
		t.Errorf("got maskbits %d, promisc %v, subnets %v", c.MaskBits, c.Promisc, c.Subnets)
	}
}

func TestSetUnknown(t *testing.T) {
	c := conf.Default()
	err := c.Set("foo", "bar")
	if !errors.Is(err, conf.ErrUnknownDirective) || err.Error() != `unknown directive "foo"` {
		t.Errorf(`Set("foo", "bar") = %v, want unknown directive "foo"`, err)
	}
}

// TestSetRepeated checks which directives accumulate and which replace.
func TestSetRepeated(t *testing.T) {
	c := conf.Default()
	steps := [][2]string{
		{"subnet", "10.1.1.0"}, {"subnet", "10.1.2.0 bandwidth 5"},
		{"localrange", "10.1."}, {"localrange", "10.2."},
		{"mailto", "a@example.com,b@example.com"}, {"mailto", "c@example.com"},
		{"bandwidth", "3"}, {"bandwidth", "4"},
	}
	for _, s := range steps {
		if err := c.Set(s[0], s[1]); err != nil {
			t.Fatalf("Set(%q, %q) = %v", s[0], s[1], err)
		}
	}
	if len(c.Subnets) != 2 || len(c.LocalRange) != 2 {
		t.Errorf("subnets %v, local ranges %v: want 2 of each", c.Subnets, c.LocalRange)
	}
	if !reflect.DeepEqual(c.MailTo, []string{"c@example.com"}) || c.Bandwidth != 4 {
		t.Errorf("mailto %v, bandwidth %v: want [c@example.com], 4", c.MailTo, c.Bandwidth)
	}
}

// TestAbsolute checks that Absolute resolves every directive naming a
// file or directory against the start directory, and the program of a
// command given by a relative path, and nothing else: not "-" (standard
// output), not an absolute path, not a program from PATH, not a text
// directive.
func TestAbsolute(t *testing.T) {
	paths := []string{"outfile", "htmlfile", "mailfoot", "jsonfile", "statsfile", "pidfile",
		"asndb", "countrydb", "smtppassfile", "smtptlsca", "spooldir", "evidencedir"}
	c := conf.Default()
	for _, d := range paths {
		if err := c.Set(d, "rel/"+d); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Set("htmltitle", "rel/title"); err != nil {
		t.Fatal(err)
	}
	// A program without a slash is looked up in PATH, and an absolute
	// one is where it says: both stay as they are.
	if err := c.Set("notify", "logger -t ipband/notify"); err != nil {
		t.Fatal(err)
	}
	c.Absolute("/start")
	if c.MTA != "/usr/sbin/sendmail -t -oi" || c.Notify != "logger -t ipband/notify" {
		t.Errorf("mtastring %q, notify %q: want them left as they are", c.MTA, c.Notify)
	}
	got := map[string]string{"outfile": c.OutFile, "htmlfile": c.HTMLFile, "mailfoot": c.MailFoot,
		"jsonfile": c.JSONFile, "statsfile": c.StatsFile, "pidfile": c.PidFile, "smtppassfile": c.SMTPPassFile,
		"smtptlsca": c.SMTPTLSCA, "spooldir": c.SpoolDir, "evidencedir": c.EvidenceDir,
		"asndb": c.ASNDB, "countrydb": c.CountryDB}
	for _, d := range paths {
		if want := "/start/rel/" + d; got[d] != want {
			t.Errorf("%s: %q, want %q", d, got[d], want)
		}
	}
	if c.HTMLTitle != "rel/title" {
		t.Errorf("htmltitle: %q, want it left as it is", c.HTMLTitle)
	}
	c = conf.Default()
	for d, v := range map[string]string{"outfile": "-", "jsonfile": "-", "statsfile": "/var/log/s.json"} {
		if err := c.Set(d, v); err != nil {
			t.Fatal(err)
		}
	}
	for d, v := range map[string]string{"mtastring": "./bin/sendmail -t -oi", "notify": "hooks/notify.sh --json"} {
		if err := c.Set(d, v); err != nil {
			t.Fatal(err)
		}
	}
	c.Absolute("/start")
	if c.MTA != "/start/bin/sendmail -t -oi" || c.Notify != "/start/hooks/notify.sh --json" {
		t.Errorf("mtastring %q, notify %q: want their programs under /start, arguments kept", c.MTA, c.Notify)
	}
	if c.OutFile != "-" || c.JSONFile != "-" || c.StatsFile != "/var/log/s.json" || c.HTMLFile != "" {
		t.Errorf("outfile %q, jsonfile %q, statsfile %q, htmlfile %q: want -, -, /var/log/s.json and none",
			c.OutFile, c.JSONFile, c.StatsFile, c.HTMLFile)
	}
}
