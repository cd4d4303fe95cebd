package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// writeMMDB writes a MaxMind DB of type typ with data by network.
func writeMMDB(t *testing.T, path, typ string, data map[string]mmdbtype.Map) {
	t.Helper()
	tree, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: typ, RecordSize: 24, IncludeReservedNetworks: true,
		Description: map[string]string{"en": "ipband test"}})
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
}

// TestNamesASNAndCountry replays the names capture with an ASN and a
// country database written with mmdbwriter: the reports attribute their
// bytes by ASN, and the JSON report carries asn, as_org and country.
func TestNamesASNAndCountry(t *testing.T) {
	dir := t.TempDir()
	asn, country := filepath.Join(dir, "asn.mmdb"), filepath.Join(dir, "country.mmdb")
	writeMMDB(t, asn, "GeoLite2-ASN", map[string]mmdbtype.Map{
		"192.0.2.0/24":    {"autonomous_system_number": mmdbtype.Uint32(64500), "autonomous_system_organization": mmdbtype.String("Example Net")},
		"198.51.100.0/24": {"autonomous_system_number": mmdbtype.Uint32(64496), "autonomous_system_organization": mmdbtype.String("Doc Net")},
	})
	writeMMDB(t, country, "GeoLite2-Country", map[string]mmdbtype.Map{
		"192.0.2.0/24": {"country": mmdbtype.Map{"iso_code": mmdbtype.String("CA")}},
	})
	cfg := filepath.Join(dir, "ipband.conf")
	conf, err := os.ReadFile(td + "/names.conf")
	if err != nil {
		t.Fatal(err)
	}
	conf = append(conf, []byte("asndb "+asn+"\ncountrydb "+country+"\n")...)
	if err := os.WriteFile(cfg, conf, 0o644); err != nil {
		t.Fatal(err)
	}
	jsonPath := filepath.Join(dir, "r.json")
	r := ipband(t, "-c", cfg, "--read", td+"/names.pcap", "-o", "OUT", "--json-file", jsonPath)
	if r.code != exitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	// 4 flows of 8 to 192.0.2.0/24, 2 to 198.51.100.0/24 (from 1:05), 2 to
	// 203.0.113.0/24, which the database does not have.
	for _, want := range []string{
		"10.20.1.10      <50001> <-> 192.0.2.10      <  443>  tcp    141.33  https        www.example.com (dns)\n",
		"By ASN: AS64500 Example Net 50.8%, AS64496 Doc Net 24.3%, (unknown) 24.9%\n",
	} {
		if !strings.Contains(r.outfile, want) {
			t.Errorf("report has no %q:\n%s", want, r.outfile)
		}
	}
	j, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"dst":"192.0.2.10","dst_port":443,"proto":6,"proto_name":"tcp","bytes":144720,"service":"https","name":"www.example.com","name_source":"dns","asn":64500,"as_org":"Example Net","country":"CA"}`,
		`"by_asn":[{"key":"AS64500 Example Net"`,
	} {
		if !strings.Contains(string(j), want) {
			t.Errorf("JSON has no %s:\n%s", want, j)
		}
	}
}

// TestNamesDatabaseErrors: a missing or corrupt asndb or countrydb stops
// ipband at start with exit status 2, naming the directive and the file.
func TestNamesDatabaseErrors(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "corrupt.mmdb")
	if err := os.WriteFile(corrupt, []byte("\xab\xcd\xefMaxMind.com not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ directive, path string }{
		{"asndb", filepath.Join(dir, "missing.mmdb")},
		{"countrydb", corrupt},
	} {
		cfg := filepath.Join(dir, c.directive+".conf")
		if err := os.WriteFile(cfg, []byte("average 60\n"+c.directive+" "+c.path+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		r := ipband(t, "-c", cfg, "--read", td+"/names.pcap", "-o", "OUT")
		if r.code != exitUsage || !strings.Contains(r.stderr, cfg+":2: "+c.directive+": "+c.path) {
			t.Errorf("%s %s: exit %d, stderr %q; want %d naming %s:2", c.directive, c.path, r.code, r.stderr, exitUsage, cfg)
		}
		if r.outfile != "" {
			t.Errorf("%s: a report was written", c.directive)
		}
	}
}
