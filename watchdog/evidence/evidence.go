package evidence

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"ipband/watchdog/pcapfile"
	"ipband/watchdog/service/privilege"
)

// Defaults of Options.
const (
	DefaultMaxFile  = 64 << 20 // bytes per episode file
	DefaultMaxTotal = 1 << 30  // bytes of all files in the directory
	DefaultBuffer   = 8 << 20  // bytes of frames queued to the writer
	DefaultEntries  = 1 << 16  // frames and events queued to the writer
	defaultPoll     = 20 * time.Millisecond
)

// filePrefix and fileSuffix frame the names of the files a Dir writes
// and, at start, counts against MaxTotal, with those of oldSuffix that
// earlier versions wrote; nothing else in the directory is touched.
const (
	filePrefix = "ipband-"
	fileSuffix = ".pcapng"
	oldSuffix  = ".pcap"
)

// Options configure a Dir. Dir and LinkType are required; zero values
// elsewhere mean the defaults.
type Options struct {
	// Dir is the directory of the files; it must exist, belong to Owner
	// and be writable by no one else (privilege.CheckDir).
	Dir string
	// Owner is the user id that must own Dir; 0 means the process's
	// effective user. A process that checks Dir as root for the user it
	// will drop to sets it to that user.
	Owner int
	// LinkType and Snaplen go into each file's header: those of the
	// capture.
	LinkType pcapfile.LinkType
	Snaplen  int
	// MaxFile caps each episode's file, in bytes (DefaultMaxFile); frames
	// beyond it are left out and counted.
	MaxFile int64
	// MaxTotal caps all the files in Dir, in bytes (DefaultMaxTotal): the
	// oldest finished files are deleted to make room, and when only open
	// ones are left frames are left out and counted.
	MaxTotal int64
	// Buffer and Entries size the queue to the writer (DefaultBuffer
	// bytes, DefaultEntries frames).
	Buffer, Entries int
	// Logf logs faults and losses, once per episode; nil discards them.
	Logf func(format string, args ...any)
	// Poll is how often the writer looks for queued frames (20 ms).
	Poll time.Duration
}

// Dir writes one pcapng file per episode in a directory. Its Start, Frame,
// Report and End methods implement watchdog.Evidence and must be called
// from one goroutine (the engine's); Close from that goroutine too, after
// the last of them. The writer runs on a goroutine of its own.
type Dir struct {
	opt Options
	r   *ring

	// Owned by the engine's goroutine.
	eps  map[netip.Prefix]*episode
	next uint64

	dropped atomic.Uint64 // frames the full queue left out, in all

	mu       sync.Mutex          // guards names and overflow
	names    map[uint64]*episode // the episodes, for the writer
	overflow []entry             // events that found the queue full

	// Owned by the writer goroutine.
	files map[uint64]*file
	done  []doneFile // finished files, oldest first
	total int64      // bytes of the files in Dir

	stop  chan struct{}
	wg    sync.WaitGroup
	once  sync.Once
	logMu sync.Mutex // serialises Logf between the two goroutines
}

// episode is the engine side of one episode.
type episode struct {
	id       uint64
	path     string
	comment  string        // of the file's section header: FormatEpisode
	dropped  uint64        // frames the full queue left out
	capped   atomic.Uint64 // frames the writer left out at a size cap
	reported bool
	lost     bool // its start found the queue full: nothing is written
}

// file is the writer side of one episode.
type file struct {
	path   string
	f      *os.File
	w      *bufio.Writer
	size   int64
	ep     *episode // capped counts the frames left out by MaxFile or MaxTotal
	failed bool
}

type doneFile struct {
	path string
	size int64
}

// Open checks that opt.Dir is a directory it can write, counts the files
// it wrote there before (deleting the oldest beyond MaxTotal), and starts
// the writer.
func Open(opt Options) (*Dir, error) {
	if opt.MaxFile <= 0 {
		opt.MaxFile = DefaultMaxFile
	}
	if opt.MaxTotal <= 0 {
		opt.MaxTotal = DefaultMaxTotal
	}
	if opt.Buffer <= 0 {
		opt.Buffer = DefaultBuffer
	}
	if opt.Entries <= reserve {
		opt.Entries = DefaultEntries
	}
	if opt.Poll <= 0 {
		opt.Poll = defaultPoll
	}
	if opt.Snaplen <= 0 {
		opt.Snaplen = 262144
	}
	d := &Dir{
		opt:   opt,
		r:     newRing(opt.Entries, opt.Buffer),
		eps:   make(map[netip.Prefix]*episode),
		names: make(map[uint64]*episode),
		files: make(map[uint64]*file),
		stop:  make(chan struct{}),
	}
	if err := d.scan(); err != nil {
		return nil, err
	}
	d.makeRoom(0)
	d.wg.Add(1)
	go d.run()
	return d, nil
}

// scan checks the directory and counts the files of earlier runs.
func (d *Dir) scan() error {
	owner := d.opt.Owner
	if owner == 0 {
		owner = os.Geteuid()
	}
	if err := privilege.CheckDir(d.opt.Dir, owner); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	ents, err := os.ReadDir(d.opt.Dir)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	probe, err := os.CreateTemp(d.opt.Dir, ".ipband-probe-*") // O_EXCL, a name of its own
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) { // its path is the probe's: say the directory's
			err = pe.Err
		}
		return fmt.Errorf("evidence: cannot create files in the directory: %w", err)
	}
	probe.Close()
	os.Remove(probe.Name())
	type old struct {
		doneFile
		mod time.Time
	}
	var olds []old
	for _, e := range ents {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasPrefix(name, filePrefix) || !strings.HasSuffix(name, fileSuffix) && !strings.HasSuffix(name, oldSuffix) {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			continue
		}
		olds = append(olds, old{doneFile{filepath.Join(d.opt.Dir, name), fi.Size()}, fi.ModTime()})
	}
	slices.SortFunc(olds, func(a, b old) int { return a.mod.Compare(b.mod) })
	for _, o := range olds {
		d.done = append(d.done, o.doneFile)
		d.total += o.size
	}
	return nil
}

// Path returns the file of an episode of sub that started at episode
// (Unix ns): ipband-10.10.123.0_24-20010806T100100Z.pcapng in the directory.
func (d *Dir) Path(sub netip.Prefix, episode int64) string {
	s := strings.NewReplacer("/", "_", ":", "-").Replace(sub.String())
	at := time.Unix(0, episode).UTC().Format("20060102T150405Z")
	return filepath.Join(d.opt.Dir, filePrefix+s+"-"+at+fileSuffix)
}

// Start begins the episode of sub that started logging at start (Unix
// ns).
func (d *Dir) Start(sub netip.Prefix, start int64) {
	if old := d.eps[sub]; old != nil { // not ended: end it first
		d.End(sub)
	}
	d.next++
	ep := &episode{id: d.next, path: d.Path(sub, start), comment: FormatEpisode(sub, start)}
	d.eps[sub] = ep
	d.mu.Lock()
	d.names[ep.id] = ep
	d.mu.Unlock()
	if !d.r.pushEvent(kindStart, ep.id, start, false) {
		ep.lost = true
		d.logf("evidence %s: not written: the queue to the disk is full", ep.path)
	}
}

// Frame queues one frame of sub's episode, or counts it as dropped when
// the queue is full. It does not allocate.
func (d *Dir) Frame(sub netip.Prefix, t int64, wireLen uint32, data []byte) {
	ep := d.eps[sub]
	if ep == nil || ep.lost {
		return
	}
	if len(data) > d.opt.Snaplen {
		data = data[:d.opt.Snaplen]
	}
	if !d.r.pushFrame(ep.id, t, wireLen, data) {
		ep.dropped++
		d.dropped.Add(1)
	}
}

// Report marks sub's episode as reported, so that its file is kept, has
// the writer flush it, and returns the file and the frames left out of it
// so far: dropped by the full queue, and those the writer, which may lag
// by a poll, left out at a size cap. An episode whose file could not be
// started returns "".
func (d *Dir) Report(sub netip.Prefix) (string, uint64) {
	ep := d.eps[sub]
	if ep == nil || ep.lost {
		return "", 0
	}
	ep.reported = true
	d.event(kindReport, ep, false)
	return ep.path, ep.dropped + ep.capped.Load()
}

// End ends sub's episode: the writer closes its file, and deletes it
// unless a report named it.
func (d *Dir) End(sub netip.Prefix) {
	ep := d.eps[sub]
	if ep == nil {
		return
	}
	delete(d.eps, sub)
	if ep.lost {
		return
	}
	d.event(kindEnd, ep, ep.reported)
	if ep.dropped > 0 {
		d.logf("evidence %s: %d frame(s) not saved: the queue to the disk was full", ep.path, ep.dropped)
	}
}

// event queues an episode event, or keeps it aside when the queue is
// full; the writer takes those after the queue, in which all the
// episode's frames then are.
func (d *Dir) event(kind uint8, ep *episode, reported bool) {
	if d.r.pushEvent(kind, ep.id, 0, reported) {
		return
	}
	d.mu.Lock()
	d.overflow = append(d.overflow, entry{kind: kind, ep: ep.id, reported: reported})
	d.mu.Unlock()
}

// Dropped returns the frames left out because the queue was full, in all.
func (d *Dir) Dropped() uint64 { return d.dropped.Load() }

// Close ends every open episode (keeping the files that reports named,
// deleting the others), writes what is queued, and stops the writer. It
// is idempotent.
func (d *Dir) Close() error {
	d.once.Do(func() {
		for sub := range d.eps {
			d.End(sub)
		}
		close(d.stop)
		d.wg.Wait()
	})
	return nil
}

// run is the writer goroutine.
func (d *Dir) run() {
	defer d.wg.Done()
	tick := time.NewTicker(d.opt.Poll)
	defer tick.Stop()
	for {
		select {
		case <-d.stop:
			d.drain()
			for id := range d.files {
				d.finish(id, false)
			}
			return
		case <-tick.C:
			d.drain()
		}
	}
}

// drain writes what is queued, then the events kept aside, and flushes
// the open files.
func (d *Dir) drain() {
	d.r.drain(d.handle)
	d.mu.Lock()
	over := d.overflow
	d.overflow = nil
	d.mu.Unlock()
	for i := range over {
		d.handle(&over[i], nil)
	}
	for _, f := range d.files {
		if !f.failed {
			if err := f.w.Flush(); err != nil {
				d.fail(f, err)
			}
		}
	}
}

func (d *Dir) handle(e *entry, data []byte) {
	switch e.kind {
	case kindStart:
		d.mu.Lock()
		ep := d.names[e.ep]
		d.mu.Unlock()
		d.create(e.ep, ep)
	case kindFrame:
		f := d.files[e.ep]
		if f == nil || f.failed {
			return
		}
		need := int64(recordLen(len(data)))
		if f.size+need > d.opt.MaxFile || !d.makeRoom(need) {
			f.ep.capped.Add(1)
			return
		}
		if err := writeRecord(f.w, e.t, e.wire, data); err != nil {
			d.fail(f, err)
			return
		}
		f.size += need
		d.total += need
	case kindReport:
		if f := d.files[e.ep]; f != nil && !f.failed {
			if err := f.w.Flush(); err != nil {
				d.fail(f, err)
			}
		}
	case kindEnd:
		d.finish(e.ep, e.reported)
	}
}

// create starts an episode's file.
func (d *Dir) create(id uint64, ep *episode) {
	path := ep.path
	f := &file{path: path, ep: ep}
	d.files[id] = f
	hdr := appendFileHeader(nil, ep.comment, d.opt.LinkType, d.opt.Snaplen)
	if !d.makeRoom(int64(len(hdr))) {
		f.failed = true
		d.logf("evidence %s: not written: the directory is at its size cap", path)
		return
	}
	osf, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|syscall.O_NOFOLLOW, 0o640)
	if err != nil {
		d.fail(f, err)
		return
	}
	f.f, f.w = osf, bufio.NewWriterSize(osf, 64<<10)
	if _, err := f.w.Write(hdr); err != nil {
		d.fail(f, err)
		return
	}
	f.size = int64(len(hdr))
	d.total += f.size
}

// finish closes an episode's file, keeping it when reported.
func (d *Dir) finish(id uint64, reported bool) {
	f := d.files[id]
	if f == nil {
		return
	}
	delete(d.files, id)
	d.mu.Lock()
	delete(d.names, id)
	d.mu.Unlock()
	if f.f != nil {
		if err := errors.Join(f.w.Flush(), f.f.Close()); err != nil && !f.failed {
			d.fail(f, err)
		}
	}
	if !reported || f.f == nil {
		if f.f != nil {
			os.Remove(f.path)
		}
		d.total -= f.size
		return
	}
	d.done = append(d.done, doneFile{f.path, f.size})
	if n := f.ep.capped.Load(); n > 0 {
		d.logf("evidence %s: %d frame(s) not saved: size cap reached", f.path, n)
	}
}

// makeRoom deletes the oldest finished files until need more bytes fit
// under MaxTotal; false when they still do not.
func (d *Dir) makeRoom(need int64) bool {
	for d.total+need > d.opt.MaxTotal && len(d.done) > 0 {
		old := d.done[0]
		d.done = d.done[1:]
		if err := os.Remove(old.path); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.logf("evidence %s: %v", old.path, err)
		}
		d.total -= old.size
	}
	return d.total+need <= d.opt.MaxTotal
}

// fail records a write fault of f, logging it once.
func (d *Dir) fail(f *file, err error) {
	if !f.failed {
		d.logf("evidence %s: %v", f.path, err)
	}
	f.failed = true
}

func (d *Dir) logf(format string, args ...any) {
	if d.opt.Logf != nil {
		d.logMu.Lock()
		d.opt.Logf(format, args...)
		d.logMu.Unlock()
	}
}
