package mail_test

import (
	"context"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	ipmail "ipband/mail"
	"ipband/mail/mailtest"
	"ipband/report"
	"ipband/subnet"
	"ipband/watchdog"
)

// queueOutput hands the engine's reports to a mail queue, as the fan-out
// does.
type queueOutput struct {
	q       *ipmail.Queue
	reports int
	t       *testing.T
}

func (o *queueOutput) Period(*report.Period) {}

func (o *queueOutput) Report(r report.Report) {
	if err := o.q.Report(r); err != nil {
		o.t.Errorf("Report: %v", err)
	}
	o.reports++
}

// TestStalledServerDoesNotStallEngine: while the SMTP server stalls in the
// middle of the first message's DATA, the engine goes on counting packets
// and closing periods, and every report it makes is spooled; once the
// server moves again, all of them are delivered.
func TestStalledServerDoesNotStallEngine(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Config{Stall: true})
	var log logRecorder
	spool := filepath.Join(t.TempDir(), "spool")
	q := testQueue(t, &log, ipmail.Options{Sender: smtpSender(srv, ipmail.StartTLS), SpoolDir: spool, SendTimeout: time.Minute})
	out := &queueOutput{q: q, t: t}
	e, err := watchdog.New(watchdog.Config{
		Average: time.Second, Report: time.Second, MaxConns: 100,
		Subnets: subnet.Options{
			MaskBits: 24, MaskBits6: 64, Threshold: 1, MaxDynamic: 100,
			Preload: []subnet.Preload{{Prefix: netip.MustParsePrefix("10.0.0.0/24"), Threshold: 1}},
		},
	}, out)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	second := func(s int) { // 10 kB in second s: over the 1 kBps threshold
		for j := range 10 {
			e.Packet(&watchdog.Packet{
				Time: t0 + int64(s)*1e9 + int64(j)*1e8, Len: 1000, Kind: watchdog.KindIP, Proto: 6,
				Src: netip.MustParseAddr("10.0.0.5"), SrcPort: 40000, Dst: netip.MustParseAddr("192.0.2.9"), DstPort: 443,
			})
		}
	}
	next := 0
	for ; out.reports == 0; next++ {
		second(next)
	}
	first := out.reports
	select {
	case <-srv.Stalled():
	case <-time.After(30 * time.Second):
		t.Fatal("the first message never reached DATA")
	}
	before := e.Stats().Packets
	for s := next; s < next+50; s++ {
		second(s)
	}
	if got := e.Stats().Packets - before; got != 500 {
		t.Errorf("engine counted %d packets while the server stalled, want 500", got)
	}
	if out.reports-first < 45 {
		t.Errorf("engine made %d reports while the server stalled, want about 50", out.reports-first)
	}
	if c := q.Counts(); c.Waiting != uint64(out.reports) || c.Sent != 0 || len(srv.Messages()) != 0 {
		t.Errorf("counts %+v, server %d messages: want all %d reports waiting, none sent yet", c, len(srv.Messages()), out.reports)
	}
	if n := len(spoolFiles(t, spool)); n != out.reports {
		t.Errorf("%d messages spooled, want %d", n, out.reports)
	}
	srv.Release()
	waitFor(t, "all reports to be delivered", func() bool { return q.Counts().Sent == uint64(out.reports) })
	if err := q.Close(context.Background()); err != nil {
		t.Errorf("Close: %v", err)
	}
	if n := len(srv.Messages()); n != out.reports {
		t.Errorf("server got %d messages, want %d", n, out.reports)
	}
}
