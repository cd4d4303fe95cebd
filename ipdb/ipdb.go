// Package ipdb looks up the autonomous system and the country of an
// address in MaxMind DB files the admin provides (asndb, countrydb):
// GeoLite2-ASN and GeoLite2-Country, DB-IP's ASN and country Lite
// databases, and IPinfo Lite, whose one file has both. A file is opened
// and verified whole at start, so a missing or corrupt one is an error
// then, never a wrong answer later.
package ipdb

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an opened MaxMind DB file. It is safe for concurrent use.
type DB struct {
	path string
	r    *maxminddb.Reader
}

// Open opens the MaxMind DB file at path and verifies its search tree and
// data section. The error names path.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := r.Verify(); err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: corrupt MaxMind DB: %w", path, err)
	}
	return &DB{path: path, r: r}, nil
}

// Path returns the file the DB was opened from.
func (d *DB) Path() string { return d.path }

// Type returns the database type its metadata declares
// ("GeoLite2-ASN", "ipinfo lite.mmdb", ...).
func (d *DB) Type() string { return d.r.Metadata.DatabaseType }

// Close closes the file.
func (d *DB) Close() error { return d.r.Close() }

// Info is what a DB knows of an address.
type Info struct {
	ASN     uint32 // 0 when unknown
	ASOrg   string
	Country string // ISO 3166-1 alpha-2, "" when unknown
}

// record holds the fields of every format ipdb reads: GeoLite2 and DB-IP
// (autonomous_system_*, country.iso_code) and IPinfo Lite (asn "AS15169",
// as_name, country_code).
type record struct {
	ASN         uint32 `maxminddb:"autonomous_system_number"`
	ASOrg       string `maxminddb:"autonomous_system_organization"`
	IPinfoASN   string `maxminddb:"asn"`
	IPinfoName  string `maxminddb:"as_name"`
	CountryCode string `maxminddb:"country_code"`
}

// Lookup returns what the DB knows of a; the zero Info when nothing.
func (d *DB) Lookup(a netip.Addr) Info {
	res := d.r.Lookup(a.Unmap())
	if !res.Found() {
		return Info{}
	}
	var rec record
	if err := res.Decode(&rec); err != nil {
		// A country that is a name, not a map, fails the struct: read the
		// fields one by one.
		res.DecodePath(&rec.ASN, "autonomous_system_number")         //nolint:errcheck // absent or of another type: unknown
		res.DecodePath(&rec.ASOrg, "autonomous_system_organization") //nolint:errcheck // as above
		res.DecodePath(&rec.IPinfoASN, "asn")                        //nolint:errcheck // as above
		res.DecodePath(&rec.IPinfoName, "as_name")                   //nolint:errcheck // as above
		res.DecodePath(&rec.CountryCode, "country_code")             //nolint:errcheck // as above
	}
	in := Info{ASN: rec.ASN, ASOrg: rec.ASOrg, Country: rec.CountryCode}
	if in.ASN == 0 && rec.IPinfoASN != "" {
		if n, err := strconv.ParseUint(strings.TrimPrefix(strings.ToUpper(rec.IPinfoASN), "AS"), 10, 32); err == nil {
			in.ASN, in.ASOrg = uint32(n), rec.IPinfoName
		}
	}
	if in.Country == "" {
		var iso string
		if err := res.DecodePath(&iso, "country", "iso_code"); err == nil {
			in.Country = iso
		}
	}
	return in
}
