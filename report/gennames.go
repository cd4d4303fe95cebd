//go:build ignore

// Gennames writes services.txt and protocols.txt, the embedded fallback
// tables of the report package, from a services and a protocols database
// (by default /etc/services and /etc/protocols of a Debian netbase install).
//
// Usage:
//
//	go run gennames.go [-services /etc/services] [-protocols /etc/protocols]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"strconv"
	"strings"
)

func main() {
	services := flag.String("services", "/etc/services", "services database to read")
	protocols := flag.String("protocols", "/etc/protocols", "protocols database to read")
	flag.Parse()
	if err := genServices(*services, "services.txt"); err != nil {
		log.Fatal(err)
	}
	if err := genProtocols(*protocols, "protocols.txt"); err != nil {
		log.Fatal(err)
	}
}

// fields returns the fields of a database line with its comment removed.
func fields(line string) []string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	return strings.Fields(line)
}

func genServices(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# tcp and udp service names, first name of each port/protocol,\n# from %s (IANA names as shipped by Debian netbase).\n", in)
	seen := make(map[string]bool)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := fields(sc.Text())
		if len(fs) < 2 {
			continue
		}
		port, proto, ok := strings.Cut(fs[1], "/")
		if !ok || (proto != "tcp" && proto != "udp") {
			continue
		}
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
			continue
		}
		if seen[fs[1]] {
			continue
		}
		seen[fs[1]] = true
		fmt.Fprintf(&b, "%s %s\n", fs[0], fs[1])
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}

func genProtocols(in, out string) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var b strings.Builder
	fmt.Fprintf(&b, "# IP protocol names, first name of each number 0-255,\n# from %s (IANA names as shipped by Debian netbase).\n", in)
	seen := make(map[uint64]bool)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := fields(sc.Text())
		if len(fs) < 2 {
			continue
		}
		n, err := strconv.ParseUint(fs[1], 10, 8)
		if err != nil || seen[n] {
			continue
		}
		seen[n] = true
		fmt.Fprintf(&b, "%s %d\n", fs[0], n)
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return os.WriteFile(out, []byte(b.String()), 0o644)
}
