//go:build cgo && linux

package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrapeMetrics fetches url and parses it with the Prometheus text parser;
// it returns nil while the server does not answer.
func scrapeMetrics(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape %s: %s %v", url, resp.Status, err)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("parse: %v\n%s", err, body)
	}
	return fams
}

// sample returns the value of name with the given subnet label ("" for
// none), or -1 when there is no such sample.
func sample(fams map[string]*dto.MetricFamily, name, subnet string) float64 {
	for _, m := range fams[name].GetMetric() {
		ok := subnet == ""
		for _, l := range m.GetLabel() {
			if l.GetName() == "subnet" && l.GetValue() == subnet {
				ok = true
			}
		}
		if !ok {
			continue
		}
		if m.Counter != nil {
			return m.Counter.GetValue()
		}
		return m.Gauge.GetValue()
	}
	return -1
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}

// TestMetricsLive builds ipband and runs it live on the loopback
// interface with --metrics-listen, sends UDP traffic to 127.0.0.1, and
// scrapes the metrics: the subnet's bytes, rate, threshold, logging and
// reports, and the packet counters, must be those of the traffic sent;
// when the traffic stops the subnet stops logging. Then SIGTERM stops
// ipband cleanly.
func TestMetricsLive(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW): run the tests as root to scrape a live ipband")
	}
	dir := t.TempDir()
	bin := buildIpband(t)
	port, tx := loopbackUDP(t)
	addr := "127.0.0.1:" + freePort(t)
	var stderr lockedBuffer
	cmd := exec.Command(bin, "-C", "-i", "lo", "-f", "udp and dst port "+port, "-a", "1", "-r", "2", "-b", "1",
		"-o", filepath.Join(dir, "out.txt"), "--metrics-listen", addr)
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer cmd.Process.Kill() //nolint:errcheck // cleanup if the test fails early

	const payload = 1200
	const frame = payload + 8 + 20 + 14 // UDP, IPv4, Ethernet headers on lo
	url := "http://" + addr + "/metrics"
	const subnet = "127.0.0.0/24"
	deadline := time.Now().Add(40 * time.Second)
	var fams map[string]*dto.MetricFamily
	for {
		if time.Now().After(deadline) {
			t.Fatalf("no report in the metrics after 40 s; stderr:\n%s\nlast scrape: %v", stderr.String(), fams["ipband_reports_total"])
		}
		for range 5 {
			if _, err := tx.Write(make([]byte, payload)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		fams = scrapeMetrics(t, url)
		if fams != nil && sample(fams, "ipband_reports_total", subnet) >= 1 {
			break
		}
	}
	bytesTotal, ip := sample(fams, "ipband_subnet_bytes_total", subnet), sample(fams, "ipband_ip_packets_total", "")
	if ip < 10 || bytesTotal != ip*frame || sample(fams, "ipband_packets_total", "") != ip {
		t.Errorf("%v bytes in %v IP packets of %v frames; want %d bytes a frame, all IP",
			bytesTotal, ip, sample(fams, "ipband_packets_total", ""), frame)
	}
	if r := sample(fams, "ipband_subnet_rate_bytes_per_second", subnet); r < 1024 {
		t.Errorf("rate %v bytes/s while sending about 100 kB/s", r)
	}
	if th := sample(fams, "ipband_subnet_threshold_bytes_per_second", subnet); th != 1024 {
		t.Errorf("threshold %v bytes/s, want 1024 (-b 1)", th)
	}
	if l := sample(fams, "ipband_subnet_logging", subnet); l != 1 {
		t.Errorf("logging %v while over the threshold", l)
	}
	end := sample(fams, "ipband_last_period_end_timestamp_seconds", "")
	if now := float64(time.Now().Unix()); end < now-10 || end > now+2 {
		t.Errorf("last period end %v, now %v", end, now)
	}
	if sample(fams, "ipband_dropped_packets_total", "") < 0 || sample(fams, "ipband_table_evictions_total", "") < 0 {
		t.Error("no drop or eviction counters")
	}

	// Quiet now: the clock closes periods and the subnet stops logging.
	for sample(fams, "ipband_subnet_logging", subnet) != 0 || sample(fams, "ipband_subnet_rate_bytes_per_second", subnet) != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the subnet still logs after the traffic stopped: %v", fams["ipband_subnet_logging"])
		}
		time.Sleep(100 * time.Millisecond)
		fams = scrapeMetrics(t, url)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("ipband after SIGTERM: %v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("ipband did not stop on SIGTERM")
	}
	if _, err := http.Get(url); err == nil {
		t.Error("the metrics server outlived ipband")
	}
	if s := dropStartLine(stderr.String()); strings.Contains(s, "metrics") {
		t.Errorf("stderr: %s", s)
	}
}

// labelled returns the value of name whose labels include every k=v of
// labels, or -1 when there is no such sample.
func labelled(fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	for _, m := range fams[name].GetMetric() {
		n := 0
		for _, l := range m.GetLabel() {
			if v, ok := labels[l.GetName()]; ok && v == l.GetValue() {
				n++
			}
		}
		if n == len(labels) {
			if m.Counter != nil {
				return m.Counter.GetValue()
			}
			return m.Gauge.GetValue()
		}
	}
	return -1
}

// TestMetricsEpisodeAndReload runs ipband live on lo with a preloaded,
// named subnet: the metrics name it from the first scrape, show the
// periods, the build, and the subnet's time in detail logging growing
// under traffic; a SIGHUP with another reporting period and one more
// preloaded subnet shows in ipband_reporting_period_seconds and
// ipband_subnet_info.
func TestMetricsEpisodeAndReload(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW): run the tests as root to scrape a live ipband")
	}
	dir := t.TempDir()
	cfg, networks := filepath.Join(dir, "ipband.conf"), filepath.Join(dir, "networks")
	if err := os.WriteFile(networks, []byte("loopnet 127.0.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	writeConf := func(report int, more string) {
		t.Helper()
		body := fmt.Sprintf("average 1\nreport %d\nsubnet 127.0.0.0 bandwidth 1\n%s", report, more)
		if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConf(2, "")
	port, tx := loopbackUDP(t)
	addr := "127.0.0.1:" + freePort(t)
	d := startIpband(t, "-c", cfg, "--networks", networks, "-i", "lo", "-f", "udp and dst port "+port,
		"-o", filepath.Join(dir, "out.txt"), "--metrics-listen", addr)
	url := "http://" + addr + "/metrics"
	var fams map[string]*dto.MetricFamily
	d.until("the metrics server", func() bool { fams = scrapeMetrics(t, url); return fams != nil })
	info := map[string]string{"subnet": "127.0.0.0/24", "name": "loopnet", "preloaded": "true"}
	if v := labelled(fams, "ipband_subnet_info", info); v != 1 {
		t.Errorf("ipband_subnet_info%v = %v before the first period, want 1", info, v)
	}
	if v := labelled(fams, "ipband_build_info", map[string]string{"version": version}); v != 1 {
		t.Errorf("ipband_build_info{version=%q} = %v", version, v)
	}
	if a, r := sample(fams, "ipband_averaging_period_seconds", ""), sample(fams, "ipband_reporting_period_seconds", ""); a != 1 || r != 2 {
		t.Errorf("periods %v/%v, want 1/2", a, r)
	}

	stop := make(chan struct{})
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
				tx.Write(make([]byte, 1000)) //nolint:errcheck // a lost datagram changes nothing here
			}
		}
	}()
	defer func() { close(stop); <-sent }()
	d.until("3 s in detail logging", func() bool {
		fams = scrapeMetrics(t, url)
		return sample(fams, "ipband_subnet_exceeded_seconds", "127.0.0.0/24") >= 3
	})
	if sample(fams, "ipband_subnet_logging", "127.0.0.0/24") != 1 || sample(fams, "ipband_reports_total", "127.0.0.0/24") < 1 {
		t.Errorf("3 s over a 2 s reporting period but logging %v, reports %v",
			sample(fams, "ipband_subnet_logging", "127.0.0.0/24"), sample(fams, "ipband_reports_total", "127.0.0.0/24"))
	}

	writeConf(5, "subnet 127.0.5.0 bandwidth 1\n")
	d.signal(syscall.SIGHUP)
	d.until("the reloaded reporting period", func() bool {
		fams = scrapeMetrics(t, url)
		return sample(fams, "ipband_reporting_period_seconds", "") == 5
	})
	if v := labelled(fams, "ipband_subnet_info", map[string]string{"subnet": "127.0.5.0/24", "preloaded": "true"}); v != 1 {
		t.Errorf("the subnet the reload preloads: info %v, want 1: %v", v, fams["ipband_subnet_info"])
	}
	d.signal(syscall.SIGTERM)
	if code := d.wait(15 * time.Second); code != 0 {
		t.Errorf("exit %d after SIGTERM; stderr:\n%s", code, d.stderr.String())
	}
}

// TestMetricsBusyAddress: an address already in use stops ipband before
// capture, naming the flag, with exit status 2.
func TestMetricsBusyAddress(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	r := ipband(t, "-C", "--read", td+"/classic.pcap", "-o", "OUT", "--metrics-listen", ln.Addr().String())
	if r.code != exitUsage || !strings.Contains(r.stderr, "--metrics-listen") || !strings.Contains(r.stderr, "address already in use") ||
		strings.Contains(r.stderr, "packets") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
