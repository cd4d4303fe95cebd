package metrics

import (
	"runtime"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// The descriptions of every ipband metric.
var (
	subnetLabel = []string{"subnet"}

	descSubnetBytes = prometheus.NewDesc("ipband_subnet_bytes_total",
		"Bytes counted for the subnet (frame lengths plus lenadj) in closed periods.", subnetLabel, nil)
	descSubnetRate = prometheus.NewDesc("ipband_subnet_rate_bytes_per_second",
		"The subnet's rate in the last closed averaging period.", subnetLabel, nil)
	descSubnetThreshold = prometheus.NewDesc("ipband_subnet_threshold_bytes_per_second",
		"The subnet's threshold.", subnetLabel, nil)
	descSubnetLogging = prometheus.NewDesc("ipband_subnet_logging",
		"1 while the subnet is over its threshold and in detail logging, else 0.", subnetLabel, nil)
	dirLabels = []string{"subnet", "direction"}

	descDirBytes = prometheus.NewDesc("ipband_subnet_direction_bytes_total",
		"Bytes counted for the subnet in one direction: in (to the subnet) or out (from it), in closed periods.", dirLabels, nil)
	descDirRate = prometheus.NewDesc("ipband_subnet_direction_rate_bytes_per_second",
		"The subnet's rate in one direction in the last closed averaging period.", dirLabels, nil)
	descDirThreshold = prometheus.NewDesc("ipband_subnet_direction_threshold_bytes_per_second",
		"The subnet's threshold for one direction, when it has one.", dirLabels, nil)
	descP95 = prometheus.NewDesc("ipband_subnet_rate_p95_bytes_per_second",
		"95th percentile of the subnet's 5-minute rates over the last 24 hours, for the sum (direction total), in or out.", dirLabels, nil)
	descIntervalsOver = prometheus.NewDesc("ipband_subnet_intervals_over_threshold",
		"5-minute intervals of the last 24 hours whose rate reached the threshold of the sum (direction total) or of the direction.", dirLabels, nil)
	descReports = prometheus.NewDesc("ipband_reports_total",
		"Reports made for the subnet.", subnetLabel, nil)
	descSubnetExceeded = prometheus.NewDesc("ipband_subnet_exceeded_seconds",
		"How long the subnet has been in detail logging in the episode in progress (a report comes at the reporting period), else 0.", subnetLabel, nil)
	descSubnetInfo = prometheus.NewDesc("ipband_subnet_info",
		"Always 1: the subnet's network name and whether it is preloaded (\"true\" or \"false\").", []string{"subnet", "name", "preloaded"}, nil)

	descPackets = prometheus.NewDesc("ipband_packets_total",
		"Frames seen, in closed periods.", nil, nil)
	descIP = prometheus.NewDesc("ipband_ip_packets_total",
		"IPv4 and IPv6 packets counted.", nil, nil)
	descNotIP = prometheus.NewDesc("ipband_not_ip_packets_total",
		"Frames that carry no IP packet.", nil, nil)
	descMalformed = prometheus.NewDesc("ipband_malformed_packets_total",
		"Frames with an unusable IP header.", nil, nil)
	descDropped = prometheus.NewDesc("ipband_dropped_packets_total",
		"Frames the kernel or the interface dropped (live capture).", nil, nil)
	descEvictions = prometheus.NewDesc("ipband_table_evictions_total",
		"Entries evicted from a full bounded table: dynamic subnets, connections of a logging subnet, or names learned from the traffic.", []string{"table"}, nil)
	descDNSAnswers = prometheus.NewDesc("ipband_dns_answers_total",
		"DNS answers seen on the wire, by what naming did with them: used (matched a query of the client), ignored (no matching query: unsolicited, spoofed, late), malformed.", []string{"result"}, nil)
	descPeriods = prometheus.NewDesc("ipband_periods_total",
		"Averaging periods closed.", nil, nil)
	descLastEnd = prometheus.NewDesc("ipband_last_period_end_timestamp_seconds",
		"End of the last closed averaging period, in packet time (0 before the first).", nil, nil)
	descAverage = prometheus.NewDesc("ipband_averaging_period_seconds",
		"The averaging period (-a, average).", nil, nil)
	descReport = prometheus.NewDesc("ipband_reporting_period_seconds",
		"The reporting period (-r, report): how long a subnet stays over its threshold before a report.", nil, nil)
	descBuildInfo = prometheus.NewDesc("ipband_build_info",
		"Always 1: the version of ipband and of the Go it was built with.", []string{"version", "goversion"}, nil)

	exporterLabels = []string{"exporter", "name"}

	descFlowDatagrams = prometheus.NewDesc("ipband_flow_datagrams_total",
		"Flow export datagrams received from the exporter.", exporterLabels, nil)
	descFlowRecords = prometheus.NewDesc("ipband_flow_records_total",
		"Flow records counted from the exporter.", exporterLabels, nil)
	descFlowBytes = prometheus.NewDesc("ipband_flow_bytes_total",
		"IP-layer bytes counted from the exporter's records, after sampling.", exporterLabels, nil)
	descFlowMalformed = prometheus.NewDesc("ipband_flow_malformed_total",
		"Datagrams or records from the exporter that could not be decoded.", exporterLabels, nil)
	descFlowSeqGaps = prometheus.NewDesc("ipband_flow_sequence_gaps_total",
		"Sequence numbers from the exporter that were not the one expected.", exporterLabels, nil)
	descFlowTemplateMisses = prometheus.NewDesc("ipband_flow_template_misses_total",
		"Data sets from the exporter that came before their template.", exporterLabels, nil)
	descFlowSampling = prometheus.NewDesc("ipband_flow_sampling_rate",
		"The exporter's sampling rate in force (1 in N).", exporterLabels, nil)
	descFlowOffset = prometheus.NewDesc("ipband_flow_clock_offset_seconds",
		"Shift applied to the exporter's flow times (flowskew).", exporterLabels, nil)
	descFlowLate = prometheus.NewDesc("ipband_flow_late_bytes_total",
		"Bytes from the exporter that came for a period already judged.", exporterLabels, nil)
	descFlowUnknown = prometheus.NewDesc("ipband_flow_unknown_exporter_datagrams_total",
		"Datagrams dropped as from no configured flowexporter.", nil, nil)

	descMailQueue = prometheus.NewDesc("ipband_mail_queue_messages",
		"Report mails waiting to be handed to the mail transfer agent.", nil, nil)
	descMailSent = prometheus.NewDesc("ipband_mail_sent_total",
		"Report mails handed to the mail transfer agent.", nil, nil)
	descMailFailed = prometheus.NewDesc("ipband_mail_failed_total",
		"Report mails that failed for good (refused for good, or retried until mailexpire) and went to the spool's failed directory.", nil, nil)
	descMailDropped = prometheus.NewDesc("ipband_mail_dropped_total",
		"Report mails dropped, unsent, to keep the spool under spoolmax.", nil, nil)
)

// collector is the prometheus.Collector of a Metrics: it reads the latest
// snapshot only.
type collector struct{ m *Metrics }

var _ prometheus.Collector = collector{}

func (c collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSubnetBytes, descSubnetRate, descSubnetThreshold, descSubnetLogging,
		descDirBytes, descDirRate, descDirThreshold, descP95, descIntervalsOver,
		descReports, descSubnetExceeded, descSubnetInfo, descPackets, descIP, descNotIP, descMalformed, descDropped,
		descEvictions, descDNSAnswers, descPeriods, descLastEnd, descAverage, descReport, descBuildInfo} {
		ch <- d
	}
	for _, d := range []*prometheus.Desc{descFlowDatagrams, descFlowRecords, descFlowBytes, descFlowMalformed,
		descFlowSeqGaps, descFlowTemplateMisses, descFlowSampling, descFlowOffset, descFlowLate, descFlowUnknown} {
		ch <- d
	}
	if c.m.mail != nil {
		for _, d := range []*prometheus.Desc{descMailQueue, descMailSent, descMailFailed, descMailDropped} {
			ch <- d
		}
	}
}

func (c collector) Collect(ch chan<- prometheus.Metric) {
	snap := c.m.snap.Load()
	metric := func(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, t, v, labels...)
	}
	for _, s := range snap.subnets {
		metric(descSubnetBytes, prometheus.CounterValue, s.bytes, s.label)
		metric(descSubnetRate, prometheus.GaugeValue, s.rate, s.label)
		metric(descSubnetThreshold, prometheus.GaugeValue, s.threshold, s.label)
		metric(descSubnetLogging, prometheus.GaugeValue, bit(s.logging), s.label)
		metric(descReports, prometheus.CounterValue, s.reports, s.label)
		metric(descSubnetExceeded, prometheus.GaugeValue, s.exceeded, s.label)
		metric(descSubnetInfo, prometheus.GaugeValue, 1, s.label, s.name, strconv.FormatBool(s.preloaded))
		for i, d := range s.dir {
			metric(descDirBytes, prometheus.CounterValue, d.bytes, s.label, directionLabels[i])
			metric(descDirRate, prometheus.GaugeValue, d.rate, s.label, directionLabels[i])
			if d.threshold > 0 {
				metric(descDirThreshold, prometheus.GaugeValue, d.threshold, s.label, directionLabels[i])
			}
		}
		if p := s.pct; p.Intervals > 0 {
			for _, v := range [...]struct {
				dir       string
				p95, over float64
			}{{"total", p.Total, float64(p.Over)}, {"in", p.In, float64(p.OverIn)}, {"out", p.Out, float64(p.OverOut)}} {
				metric(descP95, prometheus.GaugeValue, v.p95*1024, s.label, v.dir)
				metric(descIntervalsOver, prometheus.GaugeValue, v.over, s.label, v.dir)
			}
		}
	}
	if o := snap.other; o.bytes > 0 || o.reports > 0 || o.rate > 0 {
		metric(descSubnetBytes, prometheus.CounterValue, o.bytes, Other)
		metric(descSubnetRate, prometheus.GaugeValue, o.rate, Other)
		metric(descReports, prometheus.CounterValue, o.reports, Other)
		for i, d := range o.dir {
			metric(descDirBytes, prometheus.CounterValue, d.bytes, Other, directionLabels[i])
			metric(descDirRate, prometheus.GaugeValue, d.rate, Other, directionLabels[i])
		}
	}
	t := snap.total
	metric(descPackets, prometheus.CounterValue, float64(t.Packets))
	metric(descIP, prometheus.CounterValue, float64(t.IP))
	metric(descNotIP, prometheus.CounterValue, float64(t.Other))
	metric(descMalformed, prometheus.CounterValue, float64(t.Malformed))
	metric(descDropped, prometheus.CounterValue, float64(t.Dropped))
	metric(descEvictions, prometheus.CounterValue, float64(t.EvictedSubnets), "subnet")
	metric(descEvictions, prometheus.CounterValue, float64(t.EvictedConns), "connection")
	metric(descEvictions, prometheus.CounterValue, float64(t.NamesEvicted), "name")
	metric(descDNSAnswers, prometheus.CounterValue, float64(t.DNSAnswers), "used")
	metric(descDNSAnswers, prometheus.CounterValue, float64(t.DNSIgnored), "ignored")
	metric(descDNSAnswers, prometheus.CounterValue, float64(t.DNSMalformed), "malformed")
	metric(descPeriods, prometheus.CounterValue, snap.periods)
	metric(descLastEnd, prometheus.GaugeValue, snap.lastEnd)
	metric(descAverage, prometheus.GaugeValue, snap.average)
	metric(descReport, prometheus.GaugeValue, snap.report)
	metric(descBuildInfo, prometheus.GaugeValue, 1, c.m.version, runtime.Version())
	for _, x := range snap.exporters {
		l := []string{x.Addr.String(), x.Name}
		metric(descFlowDatagrams, prometheus.CounterValue, float64(x.Datagrams), l...)
		metric(descFlowRecords, prometheus.CounterValue, float64(x.Records), l...)
		metric(descFlowBytes, prometheus.CounterValue, float64(x.Bytes), l...)
		metric(descFlowMalformed, prometheus.CounterValue, float64(x.Malformed), l...)
		metric(descFlowSeqGaps, prometheus.CounterValue, float64(x.SeqGaps), l...)
		metric(descFlowTemplateMisses, prometheus.CounterValue, float64(x.TemplateMisses), l...)
		metric(descFlowSampling, prometheus.GaugeValue, float64(max(x.Sampling, 1)), l...)
		metric(descFlowOffset, prometheus.GaugeValue, x.Offset.Seconds(), l...)
		metric(descFlowLate, prometheus.CounterValue, float64(x.LateBytes), l...)
	}
	if snap.flows {
		metric(descFlowUnknown, prometheus.CounterValue, float64(snap.unknown))
	}
	if c.m.mail != nil {
		mc := c.m.mail()
		metric(descMailQueue, prometheus.GaugeValue, float64(mc.Waiting))
		metric(descMailSent, prometheus.CounterValue, float64(mc.Sent))
		metric(descMailFailed, prometheus.CounterValue, float64(mc.Failed))
		metric(descMailDropped, prometheus.CounterValue, float64(mc.Dropped))
	}
}

func bit(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
