package conf

import "slices"

// directives lists every key Set accepts, in the order of the setter
// switch in set.go; a test keeps the two in step.
var directives = []string{
	"interface", "promisc", "debug", "fork", "filter", "outfile", "htmlfile",
	"htmltitle", "bandwidth", "average", "lenadj", "report", "top",
	"accumulate", "mailto", "mailfoot", "mtastring", "maskbits", "maskbits6",
	"localrange", "subnet", "maxsubnets", "maxconns", "user",
}

// Directives returns the name of every config file directive, in lower
// case, as Set and the config file accept them. The caller may modify the
// returned slice.
func Directives() []string { return slices.Clone(directives) }
