// Package service is the lifecycle of ipband: one Service owns every
// long-running part of the program — the capture (a watchdog.Source)
// feeding the engine, the fan-out that hands each period and report to the
// outputs, one goroutine per output, the signal handler and any further
// Task (a metrics server) — and stops them together. cmd/ipband only parses
// flags, loads the config, builds the outputs and the source, and calls
// Run.
//
// # Goroutines and their owners
//
// Run starts the tasks under an errgroup: the capture task (the Source's
// Run, which is the only goroutine that touches the engine), the signal
// task with Config.Signals, and Config.Tasks. The first to fail cancels the
// others; the end of the capture (a replayed file) ends the run. The
// fan-out's goroutines, one per queued output, are started by Run and
// stopped by it after the tasks: their queues are closed, drained and each
// output's Close called, all within Config.Flush. An output stuck past
// that bound is left behind and counted as a loss.
//
// # Signals
//
// SIGHUP reloads the config through Config.Reload and has the engine swap
// it in at the next period boundary (watchdog.Engine.Reconfigure); a bad
// config is logged and the running one kept. Every output that is a
// report.Reopener then reopens its files. SIGUSR1 logs the -d 2 table of
// the open period. SIGTERM and SIGINT stop the capture, flush the outputs
// and make Run return nil.
//
// # Logging
//
// NewLogger makes the program's *slog.Logger (text with timestamps, JSON,
// or syslog under -F), and Logf the report.Logf an output is made with,
// which logs one record per fault with the output's subsystem.
package service
