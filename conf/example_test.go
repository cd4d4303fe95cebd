package conf_test

import (
	"fmt"
	"strings"

	"ipband/conf"
)

func ExampleParse() {
	const file = `# branch links
subnet 10.10.123.0 bandwidth 22
subnet 10.10.44.0
maskbits 24
bandwidth 10
`
	c, err := conf.Parse(strings.NewReader(file), "ipband.conf")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, p := range c.Preloaded() {
		fmt.Printf("%v %.2f kBps (line %d)\n", p.Prefix, p.Threshold, p.Line)
	}

	_, err = conf.Parse(strings.NewReader("# bad\nmaskbits 33\n"), "ipband.conf")
	fmt.Println(err)
	// Output:
	// 10.10.123.0/24 22.00 kBps (line 2)
	// 10.10.44.0/24 10.00 kBps (line 3)
	// ipband.conf:2: maskbits: "33": out of range: want 1 to 32
}

func ExampleConfig_Set() {
	c, err := conf.Parse(strings.NewReader("bandwidth 10\nreport 300\n"), "ipband.conf")
	if err != nil {
		fmt.Println(err)
		return
	}
	// Command-line flags are applied after the file, through the same
	// checks; the caller names the flag in the error.
	flags := [][2]string{{"bandwidth", "2.5"}, {"report", "0"}}
	for _, f := range flags {
		if err := c.Set(f[0], f[1]); err != nil {
			fmt.Printf("--%s: %v\n", f[0], err)
		}
	}
	fmt.Println(c.Bandwidth, c.Report)
	// Output:
	// --report: "0": out of range: want 1 to 31536000
	// 2.5 5m0s
}

func ExampleConfig_Origin() {
	const file = `# classic forms
average = 120
report=600            # ten minutes
mtastring "/usr/sbin/sendmail -t -oi"
`
	c, err := conf.Parse(strings.NewReader(file), "ipband.conf")
	if err != nil {
		fmt.Println(err)
		return
	}
	// A flag records its name as the origin of the value it sets.
	if err := c.SetFrom("report", "60", "flag -r/--report"); err != nil {
		fmt.Println(err)
		return
	}
	for _, d := range []string{"average", "report", "mtastring", "top"} {
		fmt.Printf("%s from %s\n", d, c.Origin(d))
	}
	fmt.Println(c.MTA)
	fmt.Println(c.Validate())
	// Output:
	// average from ipband.conf:2
	// report from flag -r/--report
	// mtastring from ipband.conf:4
	// top from default
	// /usr/sbin/sendmail -t -oi
	// conflicting values: report 60 (flag -r/--report) is shorter than average 120 (ipband.conf:2): the reporting period cannot be less than the averaging period
}
