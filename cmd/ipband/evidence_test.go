package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"ipband/watchdog/pcapfile"
)

// TestEvidenceDir: --evidence-dir keeps the reported episode's frames in
// a pcapng that the report names and ipband can replay; a directory that
// cannot be written stops ipband at start with exit status 2.
func TestEvidenceDir(t *testing.T) {
	dir := t.TempDir()
	r := ipband(t, "-c", td+"/classic.conf", "--read", td+"/classic.pcap", "--evidence-dir", dir, "-o", "OUT")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	file := filepath.Join(dir, "ipband-10.10.123.0_24-20010806T100100Z.pcapng")
	if n := strings.Count(r.outfile, "\nEvidence: "+file+"\n"); n != 2 {
		t.Errorf("%d reports name %s, want 2:\n%s", n, file, r.outfile)
	}
	ents, _ := os.ReadDir(dir)
	if len(ents) != 1 {
		t.Errorf("%d files in the evidence directory, want 1", len(ents))
	}
	replay := ipband(t, "-C", "--read", file, "-b", "22", "-o", "-")
	if m := regexp.MustCompile(`: ([1-9][0-9]*) packets: ([0-9]+) IP, 0 not IP, 0 malformed`).FindStringSubmatch(replay.stderr); replay.code != 0 || m == nil || m[1] != m[2] {
		t.Errorf("replaying the evidence: exit %d: %s", replay.code, replay.stderr)
	}

	notDir := filepath.Join(t.TempDir(), "file")
	os.WriteFile(notDir, nil, 0o644)
	bad := ipband(t, "-C", "--read", td+"/classic.pcap", "--evidence-dir", notDir, "-o", "OUT")
	if bad.code != exitUsage || !strings.Contains(bad.stderr, "flag --evidence-dir or evidencedir "+notDir+": evidence: ") {
		t.Errorf("not a directory: exit %d: %s", bad.code, bad.stderr)
	}
}

// jsonReports reads the reports of a --json-file, by subnet, each as a
// parsed object without its evidence field.
func jsonReports(t *testing.T, path string) map[string][]map[string]any {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]map[string]any{}
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		delete(m, "evidence")
		sub, _ := m["subnet"].(string)
		out[sub] = append(out[sub], m)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestEvidenceReplayReproducesReports: replaying the evidence file of
// 10.10.123.0/24 with the config that wrote it makes that subnet's
// reports again, with the same times, "exceeded for", connections and
// bytes: the file's comment starts the episode where the capture started
// it. A config that does not preload the subnet stops the replay at start
// with exit status 2.
func TestEvidenceReplayReproducesReports(t *testing.T) {
	dir, tmp := t.TempDir(), t.TempDir()
	j1, j2 := filepath.Join(tmp, "j1"), filepath.Join(tmp, "j2")
	args := []string{"-c", td + "/classic.conf", "--networks", td + "/networks"}
	r1 := ipband(t, append(args, "--read", td+"/classic.pcap", "--evidence-dir", dir, "--json-file", j1, "-o", "OUT")...)
	if r1.code != 0 {
		t.Fatalf("exit %d: %s", r1.code, r1.stderr)
	}
	file := filepath.Join(dir, "ipband-10.10.123.0_24-20010806T100100Z.pcapng")
	r2 := ipband(t, append(args, "--read", file, "--json-file", j2, "-o", "OUT")...)
	if r2.code != 0 {
		t.Fatalf("replay: exit %d: %s", r2.code, r2.stderr)
	}
	if want := file + " is an evidence capture of 10.10.123.0/24 from 2001-08-06T10:01:00Z"; !strings.Contains(r2.stderr, want) {
		t.Errorf("replay log does not say %q:\n%s", want, r2.stderr)
	}
	const sub = "10.10.123.0/24"
	want, got := jsonReports(t, j1)[sub], jsonReports(t, j2)[sub]
	if len(want) != 2 {
		t.Fatalf("%d reports of %s in the capture, want 2", len(want), sub)
	}
	if rows, _ := want[0]["connections"].([]any); len(rows) == 0 {
		t.Fatalf("the capture's report has no connections: %v", want[0])
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("replayed reports of %s differ:\n got %v\nwant %v", sub, got, want)
	}

	conf := filepath.Join(tmp, "other.conf")
	os.WriteFile(conf, []byte("average 60\nreport 300\nsubnet 10.10.81.0 bandwidth 22\n"), 0o644)
	bad := ipband(t, "-c", conf, "--read", file, "-o", "OUT")
	if bad.code != exitUsage || !strings.Contains(bad.stderr, "flag -R/--read "+file+": an evidence capture of 10.10.123.0/24: watchdog: cannot start the episode: 10.10.123.0/24 is not a preloaded subnet") {
		t.Errorf("subnet not preloaded: exit %d: %s", bad.code, bad.stderr)
	}
}

// TestPlainPcapngReplay: a pcapng file without an ipband comment, or with
// another program's, replays as the pcap it was made from: same reports,
// no episode started.
func TestPlainPcapngReplay(t *testing.T) {
	tmp := t.TempDir()
	base := filepath.Join(tmp, "base.json")
	args := []string{"-c", td + "/classic.conf", "--networks", td + "/networks"}
	r0 := ipband(t, append(args, "--read", td+"/classic.pcap", "--json-file", base, "-o", "OUT")...)
	if r0.code != 0 {
		t.Fatalf("exit %d: %s", r0.code, r0.stderr)
	}
	for _, comment := range []string{"", "ipband evidence: subnet 10.10.123.0/24 episode-start someday", "captured at the halifax branch"} {
		ng := filepath.Join(tmp, "classic.pcapng")
		toPcapng(t, td+"/classic.pcap", ng, comment)
		if c := readComment(t, ng); c != comment {
			t.Fatalf("comment %q, want %q", c, comment)
		}
		j := filepath.Join(tmp, "ng.json")
		os.Remove(j)
		r := ipband(t, append(args, "--read", ng, "--json-file", j, "-o", "OUT")...)
		if r.code != 0 {
			t.Fatalf("comment %q: exit %d: %s", comment, r.code, r.stderr)
		}
		if strings.Contains(r.stderr, "evidence capture") {
			t.Errorf("comment %q: taken as evidence: %s", comment, r.stderr)
		}
		if got, want := jsonReports(t, j), jsonReports(t, base); !reflect.DeepEqual(got, want) || r.outfile != r0.outfile {
			t.Errorf("comment %q: reports differ from the pcap's", comment)
		}
	}
}

// toPcapng copies the pcap src to a pcapng dst with comment in its
// section header, through gopacket's writer.
func toPcapng(t *testing.T, src, dst, comment string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	r, err := pcapgo.NewReader(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	intf := pcapgo.DefaultNgInterface
	intf.LinkType, intf.SnapLength = layers.LinkType(r.LinkType()), r.Snaplen()
	w, err := pcapgo.NewNgWriterInterface(out, intf, pcapgo.NgWriterOptions{SectionInfo: pcapgo.NgSectionInfo{Comment: comment}})
	if err != nil {
		t.Fatal(err)
	}
	for {
		data, ci, err := r.ReadPacketData()
		if err != nil {
			break
		}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
}

func readComment(t *testing.T, path string) string {
	t.Helper()
	r, err := pcapfile.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.Comment()
}
