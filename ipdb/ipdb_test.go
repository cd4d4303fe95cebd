package ipdb_test

import (
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"

	"ipband/ipdb"
)

// writeDB writes a MaxMind DB of type typ holding data by network to a
// file in dir and returns its path.
func writeDB(t *testing.T, dir, typ string, data map[string]mmdbtype.Map) string {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: typ, RecordSize: 24, IncludeReservedNetworks: true,
		Description: map[string]string{"en": "ipband test " + typ}})
	if err != nil {
		t.Fatal(err)
	}
	for network, v := range data {
		_, n, err := net.ParseCIDR(network)
		if err != nil {
			t.Fatal(err)
		}
		if err := tree.Insert(n, v); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, typ+".mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tree.WriteTo(f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// ASNDB writes a GeoLite2-ASN style database for the test networks.
func ASNDB(t *testing.T, dir string) string {
	return writeDB(t, dir, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"192.0.2.0/24":  {"autonomous_system_number": mmdbtype.Uint32(64500), "autonomous_system_organization": mmdbtype.String("Example Net")},
		"2001:db8::/32": {"autonomous_system_number": mmdbtype.Uint32(64501), "autonomous_system_organization": mmdbtype.String("Example Six")},
	})
}

func TestLookupFormats(t *testing.T) {
	dir := t.TempDir()
	country := writeDB(t, dir, "GeoLite2-Country", map[string]mmdbtype.Map{
		"192.0.2.0/25": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("CA"), "names": mmdbtype.Map{"en": mmdbtype.String("Canada")}}},
	})
	ipinfo := writeDB(t, dir, "ipinfo lite.mmdb", map[string]mmdbtype.Map{
		"198.51.100.0/24": {"asn": mmdbtype.String("AS64496"), "as_name": mmdbtype.String("Doc Net"), "as_domain": mmdbtype.String("example.net"),
			"country_code": mmdbtype.String("GB"), "country": mmdbtype.String("United Kingdom")},
	})
	asn, err := ipdb.Open(ASNDB(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	defer asn.Close()
	cdb, err := ipdb.Open(country)
	if err != nil {
		t.Fatal(err)
	}
	defer cdb.Close()
	idb, err := ipdb.Open(ipinfo)
	if err != nil {
		t.Fatal(err)
	}
	defer idb.Close()
	for _, c := range []struct {
		db   *ipdb.DB
		addr string
		want ipdb.Info
	}{
		{asn, "192.0.2.10", ipdb.Info{ASN: 64500, ASOrg: "Example Net"}},
		{asn, "2001:db8::10", ipdb.Info{ASN: 64501, ASOrg: "Example Six"}},
		{asn, "::ffff:192.0.2.10", ipdb.Info{ASN: 64500, ASOrg: "Example Net"}},
		{asn, "203.0.113.1", ipdb.Info{}},
		{cdb, "192.0.2.10", ipdb.Info{Country: "CA"}},
		{cdb, "192.0.2.200", ipdb.Info{}},
		{idb, "198.51.100.20", ipdb.Info{ASN: 64496, ASOrg: "Doc Net", Country: "GB"}},
	} {
		if got := c.db.Lookup(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("%s: Lookup(%s) = %+v, want %+v", c.db.Type(), c.addr, got, c.want)
		}
	}
}

func TestOpenMissingOrCorrupt(t *testing.T) {
	dir := t.TempDir()
	if _, err := ipdb.Open(filepath.Join(dir, "none.mmdb")); err == nil {
		t.Error("a missing file opened")
	}
	good, err := os.ReadFile(ASNDB(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{
		"text":      []byte("not a database\n"),
		"truncated": good[:len(good)/2],
		"tree":      append(make([]byte, 64), good[64:]...), // search tree zeroed
	} {
		path := filepath.Join(dir, name+".mmdb")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if db, err := ipdb.Open(path); err == nil {
			db.Close()
			t.Errorf("%s: opened", name)
		} else if !filepath.IsAbs(path) || !strings.Contains(err.Error(), path) {
			t.Errorf("%s: error %q does not name the file", name, err)
		}
	}
}
