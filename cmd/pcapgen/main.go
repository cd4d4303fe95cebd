// Command pcapgen writes deterministic synthetic packet captures: the
// project's test captures and its benchmark load.
//
// Usage:
//
//	pcapgen -s SCENARIO -o FILE [-n PACKETS] [--seed N] [--link LINK]
//	        [--format pcap|pcapng] [--snaplen N] [--start RFC3339]
//	pcapgen --list
//
// The same arguments always give the same bytes: randomness comes from a PCG
// generator seeded with --seed (default 1), time from --start (default
// 2001-08-06T10:00:00Z). FILE "-" is standard output.
//
// # Scenarios
//
// --list prints each with a one-line description; the package
// ipband/cmd/pcapgen/internal/synth documents each in full, with the bytes
// per subnet per minute that tests can rely on:
//
//	classic                     15 min branch network; 10.10.123.0 hot (>= 30 kBps) in minutes 0-12
//	dynamic                     10 min, 30 /24s; two hot for different durations (dynamic mode, -L)
//	ipv6                        10 min IPv6 sites and servers, one hot /64, extension headers
//	fragments                   IPv4/IPv6 UDP fragments, IPv4 options
//	bench                       2,000,000 packets over 20 min (snaplen 96), 10.10.7.0 > 1000 kBps
//	flood                       1,000,000 packets from distinct random sources in 2 min
//	flood-heavy                 2,000,000 packets in 1 min: flood hiding a 14600 bytes/s subnet
//	malformed-frames            damaged frames interleaved with good traffic
//	malformed-caplen            records with caplen > len
//	malformed-cut               file ends in the middle of a record
//	malformed-timejump          timestamps 2001 -> 2038 -> 1971 -> 2001
//	malformed-pcapng-blocks     unknown and custom pcapng blocks between packets
//	malformed-pcapng-oversized  a pcapng block claiming 3 GiB
//
// -n sets the packet count of bench, flood and flood-heavy, and cuts the other scenarios
// after N packets. --snaplen 0 (the default) uses the scenario's snap length;
// frames are built at full length and cut, so each record's original length
// is the full wire length. --format defaults to pcap (pcapng for the
// malformed-pcapng-* scenarios, which need it).
//
// # Link types
//
// --link eth (default), vlan (802.1Q VLAN 120), qinq (802.1ad outer VLAN
// 1000, 802.1Q inner VLAN 120), sll (113), sll2 (276), raw (101), null (0,
// little-endian family 2 or 24) or ppp (9, with the 0xff 0x03 prefix).
// Frame lengths on the wire are the same for every link type.
//
// Exit status: 0 on success, 1 when writing fails, 2 for bad arguments.
package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/spf13/pflag"

	"ipband/cmd/pcapgen/internal/synth"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks errors in the arguments (exit status 2).
var errUsage = errors.New("usage")

// run is the whole command; it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	err := runErr(args, stdout, stderr)
	switch {
	case err == nil:
		return 0
	case errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintf(stderr, "pcapgen: %v\n", err)
		fmt.Fprintln(stderr, "usage: pcapgen -s SCENARIO -o FILE [-n PACKETS] [--seed N] [--link LINK] [--format pcap|pcapng] [--snaplen N] [--start RFC3339]; pcapgen --list")
		return 2
	default:
		fmt.Fprintf(stderr, "pcapgen: %v\n", err)
		return 1
	}
}

func runErr(args []string, stdout, stderr io.Writer) error {
	fs := pflag.NewFlagSet("pcapgen", pflag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		scenario = fs.StringP("scenario", "s", "", "scenario to generate (see --list)")
		output   = fs.StringP("output", "o", "", "output file, - for standard output")
		count    = fs.IntP("count", "n", 0, "packets: the count for bench, flood and flood-heavy, a cap for the others (0: scenario default)")
		seed     = fs.Uint64("seed", 1, "random seed")
		link     = fs.String("link", "eth", "link type: eth, vlan, qinq, sll, sll2, raw, null, ppp")
		format   = fs.String("format", "", "file format: pcap or pcapng (default: the scenario's, normally pcap)")
		snaplen  = fs.Int("snaplen", 0, "snap length (0: the scenario's default)")
		start    = fs.String("start", "2001-08-06T10:00:00Z", "time of the first packet, RFC 3339")
		list     = fs.Bool("list", false, "list the scenarios and exit")
	)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if *list {
		return listScenarios(stdout)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if *scenario == "" || *output == "" {
		return fmt.Errorf("%w: -s SCENARIO and -o FILE are required", errUsage)
	}
	sc, err := synth.Lookup(*scenario)
	if err != nil {
		return fmt.Errorf("%w: %w (try --list)", errUsage, err)
	}
	l, err := synth.ParseLink(*link)
	if err != nil {
		return fmt.Errorf("%w: --link: %w", errUsage, err)
	}
	f := sc.Format
	if *format != "" {
		if f, err = synth.ParseFormat(*format); err != nil {
			return fmt.Errorf("%w: --format: %w", errUsage, err)
		}
	}
	if sc.PcapNGOnly && f != synth.FormatPcapNG {
		return fmt.Errorf("%w: scenario %s needs --format pcapng", errUsage, sc.Name)
	}
	if *snaplen < 0 || *snaplen > synth.MaxSnaplen {
		return fmt.Errorf("%w: --snaplen %d: want 1..%d, or 0 for the default", errUsage, *snaplen, synth.MaxSnaplen)
	}
	if *count < 0 || sc.MaxCount > 0 && *count > sc.MaxCount {
		return fmt.Errorf("%w: -n %d: out of range", errUsage, *count)
	}
	t0, err := time.Parse(time.RFC3339, *start)
	if err != nil {
		return fmt.Errorf("%w: --start: %w", errUsage, err)
	}
	o := synth.Options{Count: *count, Seed: *seed, Start: t0.UTC()}
	wo := synth.WriterOptions{Link: l, Format: f, Snaplen: *snaplen}
	err = generate(*output, stdout, sc, o, wo)
	for _, e := range []error{synth.ErrTime, synth.ErrCount, synth.ErrFormat, synth.ErrSnaplen} {
		if errors.Is(err, e) {
			return fmt.Errorf("%w: %w", errUsage, err)
		}
	}
	return err
}

// generate writes the capture to path, removing a partial file on error.
func generate(path string, stdout io.Writer, sc synth.Scenario, o synth.Options, wo synth.WriterOptions) error {
	if path == "-" {
		bw := bufio.NewWriter(stdout)
		if _, err := synth.Generate(bw, sc, o, wo); err != nil {
			return err
		}
		return bw.Flush()
	}
	out, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = synth.Generate(out, sc, o, wo)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return err
	}
	return nil
}

// listScenarios prints each scenario's name and summary.
func listScenarios(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for _, s := range synth.Scenarios() {
		fmt.Fprintf(tw, "%s\t%s\n", s.Name, s.Summary)
	}
	return tw.Flush()
}
