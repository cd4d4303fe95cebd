//go:build linux

package privilege

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// Drop makes ipband, once its capture is open, run as the user
// name (directive user, flag --user): that user's uid, its primary group,
// no supplementary groups and no capabilities, the kernel clearing the
// permitted, effective and ambient sets when root changes to another uid.
// Go applies setuid, setgid and setgroups to every thread; a check of every
// thread's /proc status confirms it. An empty name, or the user ipband
// already runs as (started unprivileged by a service manager that gave it
// capture capabilities), changes nothing. Files opened later are opened as
// the new user.
func Drop(name string) error {
	id, drop, err := Target(name)
	if err != nil || !drop {
		return err
	}
	if err := syscall.Setgroups(nil); err != nil {
		return fmt.Errorf("user %s: setgroups: %w", name, err)
	}
	if err := syscall.Setgid(id.GID); err != nil {
		return fmt.Errorf("user %s: setgid %d: %w", name, id.GID, err)
	}
	if err := syscall.Setuid(id.UID); err != nil {
		return fmt.Errorf("user %s: setuid %d: %w", name, id.UID, err)
	}
	if err := checkDropped(id); err != nil {
		return fmt.Errorf("user %s: %w", name, err)
	}
	return nil
}

// checkDropped checks that every thread of the process runs as id, with
// no supplementary group and no permitted, effective or ambient
// capability.
func checkDropped(id Identity) error {
	tasks, err := filepath.Glob("/proc/self/task/*/status")
	if err != nil {
		return fmt.Errorf("cannot list the threads in /proc/self/task: %w", err)
	}
	if len(tasks) == 0 {
		return errors.New("cannot list the threads in /proc/self/task: no thread found")
	}
	for _, path := range tasks {
		b, err := os.ReadFile(path)
		if os.IsNotExist(err) {
			continue // a thread that ended
		}
		if err != nil {
			return err
		}
		st, err := parseStatus(b)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := st.check(id); err != nil {
			return fmt.Errorf("thread %s: %w", filepath.Base(filepath.Dir(path)), err)
		}
	}
	return nil
}

// procStatus is what /proc/PID/status says about credentials.
type procStatus struct {
	uid, gid               [4]int // real, effective, saved, file system
	groups                 []int
	capEff, capPrm, capAmb uint64
}

// parseStatus reads the Uid, Gid, Groups and Cap lines of a
// /proc/PID/status file.
func parseStatus(b []byte) (procStatus, error) {
	var st procStatus
	seen := 0
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		f := strings.Fields(val)
		var err error
		switch key {
		case "Uid":
			err = parseIDs(f, &st.uid)
		case "Gid":
			err = parseIDs(f, &st.gid)
		case "Groups":
			for _, g := range f {
				n, gerr := strconv.Atoi(g)
				if gerr != nil {
					err = gerr
				}
				st.groups = append(st.groups, n)
			}
		case "CapEff":
			st.capEff, err = parseCap(f)
		case "CapPrm":
			st.capPrm, err = parseCap(f)
		case "CapAmb":
			st.capAmb, err = parseCap(f)
		default:
			continue
		}
		if err != nil {
			return st, fmt.Errorf("%s: %q: %w", key, val, err)
		}
		seen++
	}
	if seen != 6 {
		return st, fmt.Errorf("want Uid, Gid, Groups, CapEff, CapPrm and CapAmb lines, found %d of them", seen)
	}
	return st, sc.Err()
}

// parseIDs reads the four ids of a Uid or Gid line.
func parseIDs(f []string, ids *[4]int) error {
	if len(f) != 4 {
		return fmt.Errorf("want 4 ids, got %d", len(f))
	}
	for i, s := range f {
		n, err := strconv.Atoi(s)
		if err != nil {
			return err
		}
		ids[i] = n
	}
	return nil
}

// parseCap reads a capability set in hex.
func parseCap(f []string) (uint64, error) {
	if len(f) != 1 {
		return 0, fmt.Errorf("want one hex number")
	}
	return strconv.ParseUint(f[0], 16, 64)
}

// check says how st differs from a process dropped to id.
func (st procStatus) check(id Identity) error {
	for _, u := range st.uid {
		if u != id.UID {
			return fmt.Errorf("uids %v, want %d", st.uid, id.UID)
		}
	}
	for _, g := range st.gid {
		if g != id.GID {
			return fmt.Errorf("gids %v, want %d", st.gid, id.GID)
		}
	}
	if len(st.groups) > 0 {
		return fmt.Errorf("supplementary groups %v, want none", st.groups)
	}
	if st.capEff|st.capPrm|st.capAmb != 0 {
		return fmt.Errorf("capabilities kept: effective %#x, permitted %#x, ambient %#x", st.capEff, st.capPrm, st.capAmb)
	}
	return nil
}
