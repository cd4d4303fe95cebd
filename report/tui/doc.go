// Package tui is the --tui view: a full-screen table of the subnets
// ipband watches, one row each, sorted by load, updated every second,
// for an admin tuning thresholds in the foreground.
//
// A View is a report.Output (it gets every closed period and report, as
// the other outputs do) and, once a second, asks its Source (the engine)
// for a snapshot of the open period and, while the detail of a subnet is
// shown, for its connections so far. It never touches the capture path:
// the engine answers both at its next clock step.
//
// # Usage
//
//	v := tui.New(tui.Options{Title: "interface eth0", Average: time.Minute})
//	// add v to the outputs; then, once the engine exists:
//	go v.Run(screen, engine, stop) // stop is called on q
//	...
//	v.Close()
//
// The view is drawn on a tcell.Screen: tests drive it on tcell's
// SimulationScreen, injecting keys and reading the cells.
package tui
