#!/bin/sh
# fuzz.sh: run every fuzz target of the module for FUZZTIME (default 30s)
# each. New crashers are saved by go test under the package's
# testdata/fuzz/ and become seeds that `make test` runs from then on.
set -eu
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-30s}
$GO test -list '^Fuzz' ./... |
	awk '/^Fuzz/ { f[n++] = $1 } /^ok/ { for (i = 0; i < n; i++) print $2, f[i]; n = 0 }' |
	while read -r pkg target; do
		echo "== $pkg $target ($FUZZTIME)"
		$GO test -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$pkg"
	done
