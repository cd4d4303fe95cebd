// Package suggest proposes thresholds from recorded traffic, for
// ipband --suggest: it keeps every period's bytes per subnet, in total,
// in and out, and for each subnet gives a ready-to-paste subnet line with
// the evidence behind it (percentiles of the per-period rates, the
// highest level sustained for a whole reporting period, the 5-minute 95th
// percentile), the rule that chose each value, and the check: how many
// reports the observed traffic would have given at those thresholds,
// computed by the engine's own decisions (watchdog.Simulate).
//
// # Usage
//
//	c := suggest.NewCollector(opts)
//	// give c every Period the engine produces (it is a report.Output),
//	// or the periods of a stats stream (report.ReadStats)
//	err := c.Write(os.Stdout)
package suggest
