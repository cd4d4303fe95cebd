package report

import (
	"cmp"
	"slices"
	"strconv"

	"golang.org/x/net/publicsuffix"
)

// Share is one line of a report's attribution: a key (a registered domain,
// or an ASN with its organisation) and the bytes of the report's rows under
// it.
type Share struct {
	Key   string
	Bytes uint64
}

// Attribution is the share of a report's bytes by remote name suffix and
// by ASN. Each list is sorted by bytes, descending (ties by key), cut to
// MaxShares with the rest summed under "others"; rows with no name (no
// ASN) are summed under "(unnamed)" ("(unknown)"). A list is nil when no
// row has a name (an ASN).
type Attribution struct {
	Total   uint64 // the bytes of all rows
	ByName  []Share
	ByASN   []Share
	Unnamed uint64 // bytes of rows with no name
}

// MaxShares is how many keys an attribution list shows before "others".
const MaxShares = 5

// Attribute returns the attribution of r's rows.
func Attribute(r Report) Attribution {
	var a Attribution
	names, asns := map[string]uint64{}, map[string]uint64{}
	var unnamed, unknown uint64
	for _, row := range r.Rows {
		a.Total += row.Bytes
		if row.Name != "" {
			names[RegisteredDomain(row.Name)] += row.Bytes
		} else {
			unnamed += row.Bytes
		}
		if row.ASN != 0 {
			k := "AS" + strconv.FormatUint(uint64(row.ASN), 10)
			if row.ASOrg != "" {
				k += " " + row.ASOrg
			}
			asns[k] += row.Bytes
		} else {
			unknown += row.Bytes
		}
	}
	a.Unnamed = unnamed
	if len(names) > 0 {
		a.ByName = shares(names, unnamed, "(unnamed)")
	}
	if len(asns) > 0 {
		a.ByASN = shares(asns, unknown, "(unknown)")
	}
	return a
}

// shares sorts m, cuts it to MaxShares plus "others", and appends none
// under noneKey when it is not 0.
func shares(m map[string]uint64, none uint64, noneKey string) []Share {
	s := make([]Share, 0, len(m)+2)
	for k, n := range m {
		s = append(s, Share{k, n})
	}
	slices.SortFunc(s, func(a, b Share) int {
		if c := cmp.Compare(b.Bytes, a.Bytes); c != 0 {
			return c
		}
		return cmp.Compare(a.Key, b.Key)
	})
	if len(s) > MaxShares {
		var rest uint64
		for _, x := range s[MaxShares:] {
			rest += x.Bytes
		}
		s = append(s[:MaxShares], Share{"others", rest})
	}
	if none > 0 {
		s = append(s, Share{noneKey, none})
	}
	return s
}

// RegisteredDomain returns the registered domain of name (its public
// suffix and one label more: "video.example.co.uk" gives "example.co.uk"),
// or name itself when it has none (a public suffix, a single label).
func RegisteredDomain(name string) string {
	if d, err := publicsuffix.EffectiveTLDPlusOne(name); err == nil {
		return d
	}
	return name
}
