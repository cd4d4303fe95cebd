package watchdog

import (
	"fmt"
	"time"

	"ipband/report"
	"ipband/subnet"
)

// Volume is what one subnet carried in one recorded averaging period:
// its bytes in both directions together, in and out, as a Line has them.
// Repeat is the number of further periods, empty, that it stands for (an
// idle run of a stats stream).
type Volume struct {
	Bytes, In, Out uint64
	Repeat         int64
}

// Outcome is what the watchdog cycle made of recorded periods: the
// reports it would have sent, and the time the subnet was over a
// threshold (a whole number of averaging periods).
type Outcome struct {
	Reports int
	Over    time.Duration
}

// Simulate runs the engine's own decisions on the recorded periods of one
// subnet with thresholds pl, as a replay with cfg and pl as the only
// preloaded subnet would: each volume is counted in its period, which is
// then closed by the same code that closes periods of captured traffic.
// cfg.Subnets.Preload is replaced by pl; its other fields must be valid
// for New. The periods are cfg.Average long, starting at start.
func Simulate(cfg Config, pl subnet.Preload, start time.Time, periods []Volume) (Outcome, error) {
	cfg.Subnets.Preload = []subnet.Preload{pl}
	cfg.Window = nil
	var tally simTally
	e, err := New(cfg, &tally)
	if err != nil {
		return Outcome{}, err
	}
	s := e.table.Get(pl.Prefix.Masked())
	if s == nil {
		return Outcome{}, fmt.Errorf("%w: subnet %v not tracked", ErrConfig, pl.Prefix)
	}
	t := start.UnixNano()
	e.Start(t)
	for _, v := range periods {
		e.countVolume(s, v)
		t += e.avg * (1 + max(v.Repeat, 0))
		e.Advance(t)
	}
	tally.over *= time.Duration(e.avg)
	return Outcome{Reports: tally.reports, Over: tally.over}, nil
}

// countVolume adds a recorded period's bytes to slot s, as Table.Count
// would have for its packets.
func (e *Engine) countVolume(s *slot, v Volume) {
	s.Bytes += v.Bytes
	s.In += v.In
	s.Out += v.Out
}

// simTally is the Output of Simulate: it counts the reports and the
// periods in which the subnet was over a threshold.
type simTally struct {
	reports int
	over    time.Duration // periods, until Simulate scales it
}

func (t *simTally) Period(p *report.Period) {
	for _, l := range p.Lines {
		if l.Over != 0 {
			t.over++
		}
	}
}

func (t *simTally) Report(report.Report) { t.reports++ }
