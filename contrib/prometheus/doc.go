// Package prometheus holds no code: its directory ships ipband's Prometheus
// rules (ipband-rules.yml) and their promtool unit tests
// (ipband-rules.test.yml), and its tests check them, and the Grafana
// dashboard of contrib/grafana, against ipband.
//
// # Tests
//
// promtool checks the rules and runs their unit tests; every alert must
// have a case that fires and one that does not. Every metric and label
// that the rules, their unit tests and the dashboard's queries name must
// be in a real scrape of ipband (the engine replaying a capture into the
// metrics output). As root, TestAlertsEndToEnd runs two ipband sensors
// live on the loopback interface, Prometheus with the rules, Alertmanager,
// and a webhook receiver, and checks that an alert about the subnet the
// test loads arrives and resolves.
//
// promtool, prometheus and prometheus-alertmanager come from Debian's
// prometheus and prometheus-alertmanager packages (make deps); without
// them the tests that need them skip, unless CI is set, when they fail.
package prometheus
