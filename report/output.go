package report

import "context"

// Output is one destination of what the engine produces: the -d 2 table,
// the report file, the status page, mail, the JSON report file, the stats
// stream, the metrics snapshot, the notify command. Each Output is written
// in a file of its own; the engine knows none of them.
//
// A fan-out calls an Output from a goroutine of its own, never from the
// capture goroutine, in the order the engine produced periods and reports:
// each period's Period first, then the reports that period fired. Period
// gets a copy that the Output may keep. An error is the Output's to log
// (once per fault); the fan-out only counts it.
type Output interface {
	// Name names the output in log lines and loss counts ("report file
	// ipband.txt", "mail", "json file r.json").
	Name() string
	Period(p *Period) error
	Report(r Report) error
}

// Reopener is an Output that writes files: Reopen closes and reopens them
// after log rotation (SIGHUP).
type Reopener interface {
	Reopen() error
}

// Closer is an Output that holds work or resources: Close flushes what is
// pending within ctx, releases them, and returns what it could not flush.
type Closer interface {
	Close(ctx context.Context) error
}
