package tui

import (
	"net/netip"
	"sync"
	"time"

	"github.com/gdamore/tcell/v2"

	"ipband/report"
)

// View is the --tui view. Its Output methods are called from the
// fan-out's goroutine, Run's loop runs on its own, and the engine's
// callbacks on the capture goroutine: mu guards the model between them.
// The zero View is not usable; call New.
type View struct {
	mu sync.Mutex // guards m and screen
	m  *model

	screen tcell.Screen // set by Run
	stop   func()       // called once, on q
	once   sync.Once
	kick   chan struct{} // asks tick for a snapshot now (Enter)
	quit   chan struct{} // closed when q is pressed
	done   chan struct{} // closed by Close: Run returns
	closed sync.Once
}

var _ report.Output = (*View)(nil)

// New returns a view with the options opt.
func New(opt Options) *View {
	return &View{m: newModel(opt), kick: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{})}
}

// Name names the view in logs.
func (v *View) Name() string { return "terminal view" }

// Period takes a closed period and redraws, and asks for the new open
// period at once rather than at the next tick.
func (v *View) Period(p *report.Period) error {
	v.update(func(m *model) { m.period(p) })
	v.poke()
	return nil
}

// poke has tick ask the engine now.
func (v *View) poke() {
	select {
	case v.kick <- struct{}{}:
	default:
	}
}

// Report takes a report and redraws.
func (v *View) Report(r report.Report) error {
	v.update(func(m *model) { m.report(r) })
	return nil
}

// Status sets the message of the bottom line (the latest log line).
func (v *View) Status(msg string) {
	v.update(func(m *model) { m.status = msg })
}

// Ended says that the capture has ended: the view stays until q.
func (v *View) Ended(msg string) {
	v.update(func(m *model) { m.ended, m.status = true, msg })
}

// Quit is closed when q is pressed.
func (v *View) Quit() <-chan struct{} { return v.quit }

// update changes the model under mu and has Run's loop redraw.
func (v *View) update(f func(*model)) {
	v.mu.Lock()
	f(v.m)
	s := v.screen
	v.mu.Unlock()
	if s != nil {
		s.PostEvent(tcell.NewEventInterrupt(nil)) //nolint:errcheck // a full queue redraws anyway
	}
}

// Run draws the view on s, initialised by the caller, and handles keys
// until Close, asking src for a snapshot every second. stop is called
// once, on q or Ctrl-C: it should stop the capture and flush the outputs,
// as SIGTERM does. The caller finalises s once Run has returned.
func (v *View) Run(s tcell.Screen, src Source, stop func()) error {
	v.mu.Lock()
	v.screen, v.stop = s, stop
	v.mu.Unlock()
	go v.tick(src)
	events := make(chan tcell.Event, 16)
	quit := make(chan struct{})
	go s.ChannelEvents(events, quit)
	defer close(quit)
	v.draw()
	for {
		select {
		case <-v.done:
			return nil
		case ev := <-events:
			if k, ok := ev.(*tcell.EventKey); ok {
				v.key(k)
			}
			if _, ok := ev.(*tcell.EventResize); ok {
				v.mu.Lock() // the screen is drawn under mu
				s.Sync()
				v.mu.Unlock()
			}
			v.draw()
		}
	}
}

// tick asks src for the open period, and for the connections of the
// subnet whose detail is shown, every second until Close.
func (v *View) tick(src Source) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		v.request(src)
		select {
		case <-v.done:
			return
		case <-t.C:
		case <-v.kick:
		}
	}
}

// request asks src for what the view shows.
func (v *View) request(src Source) {
	src.Snapshot(func(p *report.Period) {
		v.update(func(m *model) { m.open(p) })
	})
	v.mu.Lock()
	sub, detail := v.m.sel, v.m.detail
	v.mu.Unlock()
	if detail && sub.IsValid() {
		src.SnapshotConns(sub, detailRows, func(rows []report.Row) {
			v.update(func(m *model) {
				if m.sel == sub {
					m.conns, m.gotConns = rows, true
				}
			})
		})
	}
}

// Close ends Run; the screen is restored.
func (v *View) Close() {
	v.closed.Do(func() { close(v.done) })
}

// key handles one key.
func (v *View) key(k *tcell.EventKey) {
	v.mu.Lock()
	defer v.mu.Unlock()
	m := v.m
	if m.typing {
		switch k.Key() {
		case tcell.KeyEnter:
			m.typing = false
		case tcell.KeyEscape:
			m.typing, m.filter = false, ""
		case tcell.KeyBackspace, tcell.KeyBackspace2:
			if n := len(m.filter); n > 0 {
				m.filter = m.filter[:n-1]
			}
		case tcell.KeyRune:
			m.filter += string(k.Rune())
		}
		return
	}
	switch k.Key() {
	case tcell.KeyUp:
		m.move(-1)
	case tcell.KeyDown:
		m.move(1)
	case tcell.KeyPgUp:
		m.move(-10)
	case tcell.KeyPgDn:
		m.move(10)
	case tcell.KeyEnter:
		m.detail = !m.detail && m.sel.IsValid()
		m.conns, m.gotConns = nil, false
		v.poke() // its connections now, not at the next tick
	case tcell.KeyEscape:
		m.detail = false
	case tcell.KeyCtrlC:
		v.quitNow()
	case tcell.KeyRune:
		switch k.Rune() {
		case 'q':
			v.quitNow()
		case 'p', ' ':
			m.pause()
		case '/':
			m.typing, m.filter = true, ""
		case 'l':
			m.sortBy = byLoad
		case 'r':
			m.sortBy = byRate
		case 'n':
			m.sortBy = byName
		case 'a':
			m.sortBy = byAddress
		case 's':
			m.sortBy = (m.sortBy + 1) % 4
		case 'k':
			m.move(-1)
		case 'j':
			m.move(1)
		}
	}
}

// quitNow stops the capture once, as SIGTERM does. v.mu is held.
func (v *View) quitNow() {
	v.once.Do(func() {
		if !v.m.ended {
			v.m.stopping, v.m.status = true, "stopping on q: flushing outputs"
		}
		close(v.quit)
		if v.stop != nil {
			go v.stop() // it may wait for outputs that wait for mu
		}
	})
}

// Selected returns the selected subnet, for tests.
func (v *View) Selected() netip.Prefix {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m.sel
}
