package main

import (
	"context"
	"fmt"

	"ipband/conf"
	"ipband/ipdb"
	"ipband/report"
	"ipband/watchdog"
	"ipband/watchdog/names"
)

// annotator adds to each report what the engine does not know of its
// remote addresses: ASN and country from asndb and countrydb, and, with
// resolve ptr, a forward-confirmed reverse name for a row with no other
// name. It runs on the capture goroutine at report time: database lookups
// are memory reads, and the resolver's Name never blocks.
type annotator struct {
	asn, country *ipdb.DB
	ptr          *names.Resolver
}

// openAnnotator opens the databases cfg names and makes the resolver;
// nil when there is nothing to add. A database that is missing or corrupt
// is an error naming its directive and file.
func openAnnotator(cfg *conf.Config) (*annotator, error) {
	a := &annotator{}
	for _, db := range []struct {
		directive, path string
		p               **ipdb.DB
	}{{"asndb", cfg.ASNDB, &a.asn}, {"countrydb", cfg.CountryDB, &a.country}} {
		if db.path == "" {
			continue
		}
		d, err := ipdb.Open(db.path)
		if err != nil {
			a.close()
			return nil, fmt.Errorf("%s: %s: %w", cfg.Origin(db.directive), db.directive, err)
		}
		*db.p = d
	}
	if cfg.Resolve == "ptr" {
		a.ptr = names.NewResolver(nil)
	}
	if a.asn == nil && a.country == nil && a.ptr == nil {
		return nil, nil
	}
	return a, nil
}

// annotators are the engine's annotators: the flow source's, and the
// names', each called in turn.
type annotators []watchdog.Annotator

// Period calls each annotator's Period.
func (as annotators) Period(p *report.Period) {
	for _, a := range as {
		a.Period(p)
	}
}

// Report calls each annotator's Report.
func (as annotators) Report(r *report.Report) {
	for _, a := range as {
		a.Report(r)
	}
}

// Period adds nothing to a period.
func (a *annotator) Period(*report.Period) {}

// Report fills the ASN, country and reverse names of r's rows.
func (a *annotator) Report(r *report.Report) {
	for i := range r.Rows {
		row := &r.Rows[i]
		_, remote := report.Sides(r.Subnet, *row)
		if a.asn != nil {
			in := a.asn.Lookup(remote)
			row.ASN, row.ASOrg = in.ASN, in.ASOrg
		}
		if a.country != nil {
			row.Country = a.country.Lookup(remote).Country
		}
		if a.ptr != nil && row.Name == "" {
			if n := a.ptr.Name(remote); n != "" {
				row.Name, row.NameSource = n, names.PTR.String()
			}
		}
	}
}

// task returns the resolver's goroutine, or nil.
func (a *annotator) task() func(ctx context.Context) error {
	if a == nil || a.ptr == nil {
		return nil
	}
	return a.ptr.Run
}

// close closes the databases.
func (a *annotator) close() {
	if a == nil {
		return
	}
	for _, d := range []*ipdb.DB{a.asn, a.country} {
		if d != nil {
			d.Close() //nolint:errcheck // read only
		}
	}
}
