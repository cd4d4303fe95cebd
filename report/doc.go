// Package report holds the report model of ipband and everything that turns
// it into text: the classic report, the -d 2 period table, the -d 1 option
// summary, the HTML status page, service and protocol names, and the file
// sink that appends reports to the output file.
//
// For programs, JSONFile appends each report as one JSON line (AppendJSON)
// and StatsFile each period (AppendPeriodJSON); their schemas are in docs/.
// The Prometheus metrics and the notify command are the subpackages
// metrics and notify.
//
// The engine produces Report and Period values; it knows none of the
// renderers or outputs. Every output implements one small interface,
// Output (with Reopener and Closer when it writes files or holds work).
package report
