package watchdog

import (
	"fmt"
	"net/netip"
)

// WorkerConns returns, for each worker of e's group, the connections of
// subnet p in its table ("lo:port hi:port proto" to bytes); nil without a
// group. Call it once the workers have stopped.
func WorkerConns(e *Engine, p netip.Prefix) []map[string]uint64 {
	g := e.group
	if g == nil {
		return nil
	}
	out := make([]map[string]uint64, len(g.ws))
	for i, w := range g.ws {
		out[i] = make(map[string]uint64)
		s := w.e.table.Get(p)
		if s == nil || s.State.detail == nil {
			continue
		}
		for _, c := range s.State.detail.conns[1:] {
			k := fmt.Sprintf("%s:%d %s:%d %d", address(c.key.lo, c.key.fam), c.key.loPort,
				address(c.key.hi, c.key.fam>>2), c.key.hiPort, c.key.proto)
			out[i][k] += c.bytes
		}
	}
	return out
}
