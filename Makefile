# ipband — build, run, test, bench, fuzz, install.
#
#   make run     install what is missing, build, replay a bundled capture
#   make test    vet, gofmt, and every test with the race detector
#
# Both install libpcap-dev through apt when it is missing (as root, or with
# sudo when available).

GO       ?= go
BIN      := bin
IPBAND   := $(BIN)/ipband
PCAPGEN  := $(BIN)/pcapgen
PREFIX   ?= /usr/local
MANDIR   ?= $(PREFIX)/share/man
UNITDIR  ?= $(PREFIX)/lib/systemd/system
DATADIR  ?= $(PREFIX)/share/ipband
FUZZTIME ?= 30s
BENCH_N  ?= 2000000
SUDO     := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null 2>&1 && [ "$$(id -u)" != 0 ] && echo sudo)

.PHONY: all deps run test vet fmt-check build bench bench-go fuzz testdata golden install clean screenshot tui-screenshot

all: build

# deps installs, in one apt-get run, what is missing of: libpcap's headers
# and gcc (cgo), iproute2 (ip, for the namespace tests), Prometheus with
# promtool and Alertmanager (the shipped rules' tests), aiosmtpd (the second
# SMTP server of the mail tests), softflowd, pmacct and fprobe (the flow
# tests' exporters), unbound and dnsutils (a real resolver and dig, for the
# live names tests), chromium (the page in a real browser) and tmux (the
# --tui view in a real terminal).
deps:
	@missing=""; \
	need() { check=$$1; shift; sh -c "$$check" >/dev/null 2>&1 || missing="$$missing $$*"; }; \
	need '[ -f /usr/include/pcap.h ] || [ -f /usr/include/pcap/pcap.h ]' libpcap-dev; \
	need 'command -v gcc' gcc; \
	need 'command -v ip' iproute2; \
	need 'command -v promtool && command -v prometheus' prometheus; \
	need 'command -v prometheus-alertmanager' prometheus-alertmanager; \
	need '/usr/bin/python3 -c "import aiosmtpd"' python3-aiosmtpd; \
	need 'command -v softflowd' softflowd; \
	need 'command -v pmacctd' pmacct; \
	need 'command -v fprobe' fprobe; \
	need '[ -x /usr/sbin/unbound ]' unbound; \
	need 'command -v dig' dnsutils; \
	need 'command -v chromium' chromium; \
	need 'command -v tmux' tmux; \
	if [ -n "$$missing" ]; then \
		echo "installing$$missing with apt-get"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

build: deps
	$(GO) build -o $(IPBAND) ./cmd/ipband
	$(GO) build -o $(PCAPGEN) ./cmd/pcapgen

# run replays the bundled capture of a branch network with the -d 2 table
# on, and its reports on standard output.
run: build
	$(IPBAND) --read testdata/classic.pcap -c testdata/classic.conf --networks testdata/networks -d 2 -o -

# vet also checks the build without cgo (no libpcap: replay only).
# vet also builds the commands for 32-bit targets (386, ARMv7), without
# cgo: a constant that overflows a 32-bit int fails there first.
vet:
	$(GO) vet ./...
	CGO_ENABLED=0 $(GO) vet ./...
	CGO_ENABLED=0 GOARCH=386 $(GO) build -o /dev/null ./cmd/ipband ./cmd/pcapgen
	CGO_ENABLED=0 GOARCH=arm GOARM=7 $(GO) build -o /dev/null ./cmd/ipband ./cmd/pcapgen

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# test runs every test, the fuzz targets' seed corpora included, with the
# race detector, never from the test cache (-count=1), so that every run
# is a run. The live tests need root (CAP_NET_RAW, namespaces, tmpfs).
test: deps fmt-check vet
	$(GO) test -race -count=1 -timeout 15m ./...

# bench measures replay speed against the libpcap read floor
# (tcpdump -r FILE -w /dev/null) and peak RSS on generated captures in a
# temporary directory, then runs the Go benchmarks. It installs tcpdump and
# time (for /usr/bin/time) with apt when they are missing. See BENCHMARKS.md.
bench: build
	@if ! command -v tcpdump >/dev/null 2>&1 || [ ! -x /usr/bin/time ]; then \
		echo "installing tcpdump and time with apt-get"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tcpdump time >/dev/null; \
	fi
	BENCH_N=$(BENCH_N) IPBAND=$(IPBAND) PCAPGEN=$(PCAPGEN) sh contrib/bench.sh
	$(MAKE) --no-print-directory bench-go

# bench-go runs the Go benchmarks of the hot path: decoder, reader, the
# engine per packet, whole-file replay (BenchmarkReplay builds pcapgen
# and writes its 2,000,000-packet capture in a temporary directory), and
# flow records per format.
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./watchdog/ ./watchdog/pcapfile/ ./watchdog/afpacket/ ./subnet/ ./watchdog/flow/

# fuzz runs each fuzz target for FUZZTIME.
fuzz:
	GO=$(GO) FUZZTIME=$(FUZZTIME) sh contrib/fuzz.sh

# testdata regenerates the synthetic captures from the generator. Their
# golden outputs are then checked with `go test ./cmd/ipband -update`.
testdata: build
	sh contrib/testdata.sh $(PCAPGEN)

# golden rewrites the golden files of every package whose tests take
# -update (go test ./... -update would stop in the packages that have no
# golden files, and so no -update flag). Review the diff before committing.
golden:
	@pkgs=$$(grep -rl --include='*_test.go' 'flag.Bool("update"' . | xargs -n1 dirname | sort -u); \
	echo $(GO) test -count=1 $$pkgs -update; \
	$(GO) test -count=1 $$pkgs -update

# install puts the binary, the man pages, the systemd unit, the logrotate
# file, the Prometheus rules and Grafana dashboard (under DATADIR,
# share/ipband) and (unless one is there) the config file under DESTDIR
# and PREFIX.
# screenshot renders the -w status page of testdata/classic.pcap with
# headless Chromium into docs/status-page.png, installing chromium with apt
# when it is missing.
screenshot: build
	@if ! command -v chromium >/dev/null 2>&1; then \
		echo "installing chromium with apt-get"; \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi
	sh contrib/screenshot.sh $(IPBAND) docs/status-page.png

# tui-screenshot runs the --tui view in tmux on testdata/classic.pcap and
# captures it into docs/tui.txt and, rendered with chromium, docs/tui.png.
tui-screenshot: build deps
	sh contrib/tui-screenshot.sh $(IPBAND) docs/tui.txt docs/tui.png

install: build
	install -d $(DESTDIR)$(PREFIX)/sbin $(DESTDIR)$(PREFIX)/share/man/man8 $(DESTDIR)/etc
	install -m 0755 $(IPBAND) $(DESTDIR)$(PREFIX)/sbin/ipband
	install -m 0644 docs/ipband.8 $(DESTDIR)$(PREFIX)/share/man/man8/ipband.8
	install -d $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(UNITDIR) $(DESTDIR)/etc/logrotate.d
	install -m 0644 docs/ipband.conf.5 $(DESTDIR)$(MANDIR)/man5/ipband.conf.5
	sed 's|/usr/local/sbin/ipband|$(PREFIX)/sbin/ipband|' contrib/ipband.service > $(DESTDIR)$(UNITDIR)/ipband.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/ipband.service
	install -m 0644 contrib/ipband.logrotate $(DESTDIR)/etc/logrotate.d/ipband
	install -d $(DESTDIR)$(DATADIR)/prometheus $(DESTDIR)$(DATADIR)/grafana
	install -m 0644 contrib/prometheus/ipband-rules.yml contrib/prometheus/ipband-rules.test.yml $(DESTDIR)$(DATADIR)/prometheus/
	install -m 0644 contrib/grafana/ipband.json $(DESTDIR)$(DATADIR)/grafana/ipband.json
	[ -f $(DESTDIR)/etc/ipband.conf ] || install -m 0644 ipband.conf.example $(DESTDIR)/etc/ipband.conf

clean:
	rm -rf $(BIN)
