package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"ipband/conf"
	"ipband/report"
	"ipband/watchdog/service"
)

// daemonEnv marks the re-executed child of -F.
const daemonEnv = "IPBAND_DAEMON"

// readyFD is the descriptor of the pipe on which the child of -F tells its
// parent that it runs ("ok"), or why it could not start.
const readyFD = 3

// startTimeout bounds how long the parent of -F waits for its child.
const startTimeout = 60 * time.Second

// daemonize checks what the child will open (outputs, capture, filter,
// pid file), then starts ipband again with the same arguments in a new
// session, detached (standard files on /dev/null, no other inherited
// descriptor), and waits until the child says it runs. Go cannot fork
// safely, so the child is a fresh process that sees daemonEnv, opens
// everything again, logs to syslog and changes to /. The parent's exit
// status is the child's when the child fails to start.
func daemonize(ctx context.Context, args []string, c *cli, cfg *conf.Config, env environment, logf report.Logf) int {
	log, err := service.NewLogger(service.LogOptions{Format: cfg.LogFormat, W: env.stderr, NoTime: true})
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	p, err := prepare(c, cfg, env, log, true)
	if err != nil {
		logf("%v", err)
		return exitUsage
	}
	p.abort()
	if err := checkPidFile(cfg.PidFile); err != nil {
		logf("%v", err)
		return exitUsage
	}

	self, err := os.Executable()
	if err != nil {
		logf("fork: %v", err)
		return exitFail
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		logf("fork: %v", err)
		return exitFail
	}
	defer null.Close()
	r, w, err := os.Pipe()
	if err != nil {
		logf("fork: %v", err)
		return exitFail
	}
	defer r.Close()
	closeOnExec()
	cmd := exec.Command(self, args...)
	cmd.Env = append(os.Environ(), daemonEnv+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.ExtraFiles = []*os.File{w} // readyFD
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	err = cmd.Start()
	w.Close()
	if err != nil {
		logf("fork: %v", err)
		return exitFail
	}
	msg, ok := awaitReady(ctx, r)
	if ok {
		logf("running in the background as process %d", cmd.Process.Pid)
		cmd.Process.Release() //nolint:errcheck // the child lives on
		return exitOK
	}
	if msg == "" {
		msg = "exited before it started"
	}
	logf("daemon did not start: %s", msg)
	if err := waitChild(cmd); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
	}
	return exitFail
}

// awaitReady reads the child's word: "ok", or its start-up error lines
// until the pipe closes.
func awaitReady(ctx context.Context, r *os.File) (string, bool) {
	r.SetReadDeadline(time.Now().Add(startTimeout)) //nolint:errcheck // a pipe supports deadlines
	defer context.AfterFunc(ctx, func() {
		r.SetReadDeadline(time.Now()) //nolint:errcheck // unblocks the read
	})()
	var lines []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		if sc.Text() == "ok" {
			return "", true
		}
		lines = append(lines, strings.TrimPrefix(sc.Text(), "ipband: "))
	}
	if err := sc.Err(); err != nil {
		lines = append(lines, err.Error())
	}
	return strings.Join(lines, "; "), false
}

// waitChild reaps a child that failed to start, killing it if it does not
// exit by itself.
func waitChild(cmd *exec.Cmd) error {
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(5 * time.Second):
		cmd.Process.Kill() //nolint:errcheck // it did not start
		return <-done
	}
}

// closeOnExec marks every descriptor above standard error close-on-exec,
// so that the child of -F inherits none that ipband itself inherited.
func closeOnExec() {
	entries, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range entries {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			syscall.CloseOnExec(fd)
		}
	}
}

// daemonChild is set up in the child of -F: the ready pipe, and the
// directory it started in, to which relative paths are resolved before it
// changes to /.
type daemonChild struct {
	ready *os.File // nil once "ok" is written
	dir   string
}

// newDaemonChild returns the child's state, or nil when this process is
// not the child of -F.
func newDaemonChild() *daemonChild {
	if os.Getenv(daemonEnv) == "" {
		return nil
	}
	dir, _ := os.Getwd()
	return &daemonChild{ready: os.NewFile(readyFD, "ready"), dir: dir}
}

// say sends a start-up error to the parent.
func (d *daemonChild) say(msg string) {
	if d != nil && d.ready != nil {
		fmt.Fprintln(d.ready, msg)
	}
}

// started tells the parent the daemon runs, and leaves the start
// directory.
func (d *daemonChild) started() {
	if d == nil || d.ready == nil {
		return
	}
	os.Chdir("/") //nolint:errcheck // every path is absolute by now
	fmt.Fprintln(d.ready, "ok")
	d.ready.Close()
	d.ready = nil
}

// absolute makes every path of cfg and c absolute, from the start
// directory, so that they stay right after the daemon changes to /: the
// path directives (conf.Config.Absolute) and the flags that are not
// directives (-c, --networks).
func (d *daemonChild) absolute(c *cli, cfg *conf.Config) {
	if d == nil {
		return
	}
	cfg.Absolute(d.dir)
	for _, p := range []*string{&c.config.s, &c.networks.s} {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(d.dir, *p)
		}
	}
}

// pidFile is a locked process id file; the zero pidFile is none.
type pidFile struct {
	path string
	f    *os.File
}

// lockPidFile creates or opens path, locks it (flock, exclusive) and
// writes the process id into it. "" is no pid file. A file locked by a
// running ipband is an error that names its pid.
func lockPidFile(path string) (*pidFile, error) {
	if path == "" {
		return &pidFile{}, nil
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|syscall.O_CLOEXEC|syscall.O_NOFOLLOW, 0o644)
	if err != nil {
		return nil, fmt.Errorf("flag --pidfile or pidfile: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		b := make([]byte, 32)
		n, _ := f.Read(b)
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("flag --pidfile or pidfile %s: locked by another ipband (process %s)", path, strings.TrimSpace(string(b[:n])))
		}
		return nil, fmt.Errorf("flag --pidfile or pidfile %s: lock: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, err = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("flag --pidfile or pidfile %s: %w", path, err)
	}
	return &pidFile{path: path, f: f}, nil
}

// checkPidFile fails when path is locked by a running ipband.
func checkPidFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return nil // absent: the child creates it
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_SH|syscall.LOCK_NB); errors.Is(err, syscall.EWOULDBLOCK) {
		b := make([]byte, 32)
		n, _ := f.Read(b)
		return fmt.Errorf("flag --pidfile or pidfile %s: locked by another ipband (process %s)", path, strings.TrimSpace(string(b[:n])))
	}
	return nil
}

// release unlocks and closes the file, leaving it in place.
func (p *pidFile) release() {
	if p.f != nil {
		p.f.Close()
		p.f = nil
	}
}

// remove removes the file, then unlocks it.
func (p *pidFile) remove() {
	if p.f == nil {
		return
	}
	os.Remove(p.path) //nolint:errcheck // best effort at exit
	p.release()
}
