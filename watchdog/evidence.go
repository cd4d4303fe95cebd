package watchdog

import (
	"errors"
	"fmt"
	"net/netip"
)

// Evidence keeps the frames of subnets in detail logging, one capture
// file per episode (evidencedir). The engine calls it from the goroutine
// that feeds it packets: Frame once per frame counted toward a logging
// subnet, the others at period ends. None may block: an Evidence copies
// what it needs and writes it elsewhere. Frame must not keep data and must
// not allocate.
type Evidence interface {
	// Start begins the episode of sub, which started logging at episode
	// (Unix ns).
	Start(sub netip.Prefix, episode int64)
	// Frame adds one frame: its time (Unix ns), length on the wire and the
	// bytes captured.
	Frame(sub netip.Prefix, t int64, wireLen uint32, data []byte)
	// Report is called when sub's episode fires a report; it returns the
	// file to name in it and the frames left out of it so far.
	Report(sub netip.Prefix) (file string, dropped uint64)
	// End ends sub's episode: its file is kept if a report named it, else
	// deleted.
	End(sub netip.Prefix)
}

// PacketFrame counts p as Packet does, with data, the frame as captured
// (snaplen-limited), for Evidence; data is not kept after it returns. The
// capture loops call it; Packet is PacketFrame without the frame.
func (e *Engine) PacketFrame(p *Packet, data []byte) {
	e.frameData = data
	e.Packet(p)
	e.frameData = nil
}

// SetEvidence makes e hand the frames of logging subnets to ev (nil for
// none). Call it before the first packet.
func (e *Engine) SetEvidence(ev Evidence) { e.ev = ev }

func (e *Engine) frame(s *slot, p *Packet) {
	if e.ev != nil {
		e.ev.Frame(s.Prefix, p.Time, p.Len, e.frameData)
	}
}

func (e *Engine) evidenceStart(s *slot) {
	if e.ev != nil {
		e.ev.Start(s.Prefix, s.State.detail.episode)
	}
}

func (e *Engine) evidenceEnd(s *slot) {
	if e.ev != nil {
		e.ev.End(s.Prefix)
	}
}

func (e *Engine) evidenceReport(s *slot) (string, uint64) {
	if e.ev == nil {
		return "", 0
	}
	return e.ev.Report(s.Prefix)
}

// ErrEpisode is returned by StartEpisode for an episode the engine cannot
// start.
var ErrEpisode = errors.New("watchdog: cannot start the episode")

// StartEpisode opens period 0 at at (Unix ns) with subnet p in detail
// logging from that instant, as if it had crossed its threshold at the
// end of the period before: replaying the evidence file of an episode
// that started at at then makes the reports the capture made, at the same
// times, with the same rows. In dynamic mode it creates the subnet, which
// must have the table's prefix length and lie in the local ranges; in
// preloaded mode p must be preloaded. Call it before the first packet,
// after SetEvidence.
func (e *Engine) StartEpisode(p netip.Prefix, at int64) error {
	if e.started {
		return fmt.Errorf("%w: %s: the engine has started", ErrEpisode, p)
	}
	s := e.table.Insert(p)
	if s == nil {
		if e.table.Preloaded() {
			return fmt.Errorf("%w: %s is not a preloaded subnet", ErrEpisode, p)
		}
		return fmt.Errorf("%w: %s is not a subnet of /%d or /%d in the local ranges",
			ErrEpisode, p, e.cfg.Subnets.MaskBits, e.cfg.Subnets.MaskBits6)
	}
	e.Start(at)
	st := &s.State
	st.detail = newDetail(e.cfg.MaxConns, &e.stats.EvictedConns, e.pool)
	st.detail.since, st.detail.episode = at, at
	e.logging++
	e.evidenceStart(s)
	return nil
}
