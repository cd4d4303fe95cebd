//go:build cgo && linux

package prometheus_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer collects a process's output.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// process is a program the test started.
type process struct {
	name   string
	cmd    *exec.Cmd
	out    lockedBuffer
	exited chan struct{}
}

// start runs name with args until the test ends: then SIGTERM, and SIGKILL
// when it has not exited 10 s later.
func start(t *testing.T, name string, args ...string) *process {
	t.Helper()
	p := &process{name: filepath.Base(name), cmd: exec.Command(name, args...), exited: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = &p.out, &p.out
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	go func() { p.cmd.Wait(); close(p.exited) }() //nolint:errcheck // its output tells
	t.Cleanup(func() {
		p.cmd.Process.Signal(syscall.SIGTERM) //nolint:errcheck // it may have exited
		select {
		case <-p.exited:
		case <-time.After(10 * time.Second):
			p.cmd.Process.Kill() //nolint:errcheck // last resort
			<-p.exited
			t.Errorf("%s did not stop on SIGTERM", p.name)
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", p.name, lastLines(p.out.String(), 30))
		}
	})
	return p
}

// lastLines returns the last n lines of s.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
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

// waitReady polls url until it answers 200, or fails the test at deadline.
func waitReady(t *testing.T, p *process, url string, deadline time.Time) {
	t.Helper()
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		select {
		case <-p.exited:
			t.Fatalf("%s exited:\n%s", p.name, lastLines(p.out.String(), 30))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready at %s: %v", p.name, url, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// writeFile writes a file of the test's.
func writeFile(t *testing.T, path, text string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// webhookAlert is one alert of an Alertmanager webhook message.
type webhookAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
}

// promQuery runs the instant query q on the Prometheus at addr and returns
// the number of series in its result; an error fails the test.
func promQuery(t *testing.T, addr, q string) int {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("query %q: %v", q, err)
	}
	if r.Status != "success" {
		t.Errorf("query %q: %s %s", q, r.Status, r.Error)
	}
	return len(r.Data.Result)
}

// TestAlertsEndToEnd runs what an operator runs: two ipband sensors live
// on the loopback interface, each with its own metrics port and preloaded
// subnets; Prometheus with the shipped rules, unchanged, scraping both;
// Alertmanager routing to a webhook the test serves. The test loads one
// subnet of one sensor over its threshold: IpbandSubnetOverThreshold
// arrives with that subnet, its name and that sensor's instance and
// labels, and none for the other sensor; meanwhile every query of the
// Grafana dashboard runs on that Prometheus and has data; once the
// traffic stops the alert arrives resolved. Every process is stopped at the end.
func TestAlertsEndToEnd(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("live capture on lo needs root (CAP_NET_RAW): run the tests as root for the end-to-end alert test")
	}
	prom := program(t, "prometheus", "prometheus")
	am := program(t, "prometheus-alertmanager", "prometheus-alertmanager")
	deadline := time.Now().Add(90 * time.Second)
	dir := t.TempDir()
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "ipband")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/ipband").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}

	// The webhook receiver.
	alerts := make(chan webhookAlert, 100)
	var (
		seenMu sync.Mutex
		seen   = map[string]bool{} // every alert name that arrived
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			Alerts []webhookAlert `json:"alerts"`
		}
		if err := json.NewDecoder(r.Body).Decode(&msg); err != nil {
			t.Errorf("webhook: %v", err)
		}
		for _, a := range msg.Alerts {
			seenMu.Lock()
			seen[a.Labels["alertname"]] = true
			seenMu.Unlock()
			select {
			case alerts <- a:
			case <-r.Context().Done():
				return
			}
		}
	}))
	defer hook.Close()

	// Alertmanager, without clustering, notifying at once.
	amAddr := "127.0.0.1:" + freePort(t)
	amConf := writeFile(t, filepath.Join(dir, "alertmanager.yml"), fmt.Sprintf(`route:
  receiver: hook
  group_by: [alertname, subnet]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: %s/
        send_resolved: true
`, hook.URL))
	amProc := start(t, am, "--config.file="+amConf, "--storage.path="+filepath.Join(dir, "am"),
		"--web.listen-address="+amAddr, "--cluster.listen-address=")

	// Two sensors: edge-a watches 127.0.1.0/24 <branch1> and 127.0.3.0/24,
	// edge-b 127.0.2.0/24; averaging period 1 s, reporting period 2 s,
	// 1 kB/s thresholds.
	networks := writeFile(t, filepath.Join(dir, "networks"), "branch1 127.0.1\nbranch2 127.0.2\n")
	type sensor struct{ name, addr, conf string }
	sensors := []sensor{
		{"edge-a", "127.0.0.1:" + freePort(t), "subnet 127.0.1.0 bandwidth 1\nsubnet 127.0.3.0 bandwidth 1\n"},
		{"edge-b", "127.0.0.1:" + freePort(t), "subnet 127.0.2.0 bandwidth 1\n"},
	}
	for _, s := range sensors {
		conf := writeFile(t, filepath.Join(dir, s.name+".conf"), s.conf)
		p := start(t, bin, "-c", conf, "--networks", networks, "-i", "lo", "-f", "udp", "-a", "1", "-r", "2",
			"-o", filepath.Join(dir, s.name+".txt"), "--metrics-listen", s.addr)
		waitReady(t, p, "http://"+s.addr+"/metrics", deadline)
	}
	waitReady(t, amProc, "http://"+amAddr+"/-/ready", deadline)

	// Prometheus with the shipped rules, scraping and evaluating each second.
	promAddr := "127.0.0.1:" + freePort(t)
	promConf := writeFile(t, filepath.Join(dir, "prometheus.yml"), fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files:
  - %s
alerting:
  alertmanagers:
    - static_configs:
        - targets: ['%s']
scrape_configs:
  - job_name: ipband
    static_configs:
      - targets: ['%s']
        labels:
          sensor: edge-a
          status_url: http://edge-a.example/ipband.html
      - targets: ['%s']
        labels:
          sensor: edge-b
`, rules, amAddr, sensors[0].addr, sensors[1].addr))
	promProc := start(t, prom, "--config.file="+promConf, "--storage.tsdb.path="+filepath.Join(dir, "prom"),
		"--web.listen-address="+promAddr)
	waitReady(t, promProc, "http://"+promAddr+"/-/ready", deadline)

	// Load 127.0.1.0/24 at about 100 kB/s until the alert arrives.
	rx, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 1, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	tx, err := net.DialUDP("udp4", nil, rx.LocalAddr().(*net.UDPAddr))
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Close()
	const alertname = "IpbandSubnetOverThreshold"
	stop := make(chan struct{})
	sent := make(chan error, 1)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				sent <- nil
				return
			case <-tick.C:
				if _, err := tx.Write(make([]byte, 1000)); err != nil {
					sent <- err
					return
				}
			}
		}
	}()
	stopTraffic := sync.OnceFunc(func() {
		close(stop)
		if err := <-sent; err != nil {
			t.Errorf("traffic: %v", err)
		}
	})
	defer stopTraffic()
	var firing webhookAlert
	for firing.Status == "" {
		select {
		case a := <-alerts:
			if a.Labels["alertname"] != alertname {
				continue
			}
			if a.Labels["sensor"] != "edge-a" || a.Labels["subnet"] != "127.0.1.0/24" || a.Status != "firing" {
				t.Fatalf("unexpected alert %+v", a)
			}
			firing = a
		case <-time.After(time.Until(deadline)):
			t.Fatalf("no %s at the webhook while the subnet is loaded", alertname)
		}
	}
	want := map[string]string{"alertname": alertname, "subnet": "127.0.1.0/24", "name": "branch1",
		"instance": sensors[0].addr, "job": "ipband", "sensor": "edge-a", "severity": "warning"}
	for k, v := range want {
		if firing.Labels[k] != v {
			t.Errorf("firing alert label %s = %q, want %q (labels %v)", k, firing.Labels[k], v, firing.Labels)
		}
	}
	if s := firing.Annotations["summary"]; s != "127.0.1.0/24 <branch1> is over its threshold on "+sensors[0].addr {
		t.Errorf("summary %q", s)
	}
	if s := firing.Annotations["status_page"]; s != "http://edge-a.example/ipband.html" {
		t.Errorf("status_page %q", s)
	}

	t.Logf("firing after %v: %v %v", time.Since(deadline.Add(-90*time.Second)).Round(time.Second), firing.Labels, firing.Annotations)

	// While the subnet is loaded, every dashboard query runs on this
	// Prometheus, and all but the mail ones (no -M here) have data.
	exprs, _, _ := queries(t)
	vars := strings.NewReplacer("$job", "ipband", "$instance", ".*", "$subnet", ".*", "$__rate_interval", "1m")
	for _, q := range exprs {
		n := promQuery(t, promAddr, vars.Replace(q))
		if n == 0 && !strings.Contains(q, "ipband_mail_") {
			t.Errorf("dashboard query %q: no data from two live sensors", q)
		}
	}

	// Quiet now: the alert resolves.
	stopTraffic()
	for {
		select {
		case a := <-alerts:
			if a.Labels["alertname"] != alertname {
				continue
			}
			if a.Labels["sensor"] != "edge-a" || a.Labels["subnet"] != "127.0.1.0/24" {
				t.Fatalf("unexpected alert %+v", a)
			}
			if a.Status == "resolved" {
				t.Logf("resolved after %v", time.Since(deadline.Add(-90*time.Second)).Round(time.Second))
				// Two healthy sensors: no alert about the sensors themselves.
				seenMu.Lock()
				defer seenMu.Unlock()
				for _, name := range []string{"IpbandPeriodsStalled", "IpbandSensorDown", "IpbandSubnetQuiet", "IpbandMailQueueGrowing"} {
					if seen[name] {
						t.Errorf("%s about healthy sensors", name)
					}
				}
				return
			}
		case <-time.After(time.Until(deadline)):
			t.Fatalf("%s not resolved after the traffic stopped", alertname)
		}
	}
}
