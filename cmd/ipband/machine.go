package main

import (
	"context"
	"fmt"

	"ipband/conf"
	"ipband/report"
)

// newMachineOutputs builds the outputs for programs the config asks for:
// the JSON report file and the stats stream. A file that cannot be opened
// is an error naming its directive, before capture starts.
func newMachineOutputs(cfg *conf.Config, names *report.Names, logf report.Logf) ([]report.Output, error) {
	var outs []report.Output
	if cfg.JSONFile != "" {
		j, err := report.NewJSONFile(cfg.JSONFile, names, logf)
		if err != nil {
			return nil, fmt.Errorf("jsonfile (--json-file): %w", err)
		}
		outs = append(outs, j)
	}
	if cfg.StatsFile != "" {
		s, err := report.NewStatsFile(cfg.StatsFile, logf)
		if err != nil {
			closeOutputs(outs)
			return nil, fmt.Errorf("statsfile (--stats-file): %w", err)
		}
		outs = append(outs, s)
	}
	return outs, nil
}

// closeOutputs closes outputs that were built before a later one failed.
func closeOutputs(outs []report.Output) {
	for _, o := range outs {
		if c, ok := o.(report.Closer); ok {
			c.Close(context.Background()) //nolint:errcheck // nothing was written yet
		}
	}
}
