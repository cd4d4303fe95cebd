package report

// appendEvidence appends the line naming the report's capture file
// (evidencedir), when there is one:
//
//	Evidence: /var/lib/ipband/ipband-10.10.123.0_24-20010806T100100Z.pcap
//
// followed, when frames were left out of it, by " (12 frames not saved)".
func appendEvidence(dst []byte, r Report) []byte {
	if r.Evidence == "" {
		return dst
	}
	dst = append(dst, "Evidence: "...)
	dst = appendSafe(dst, r.Evidence)
	if r.EvidenceDropped > 0 {
		dst = append(dst, " ("...)
		dst = appendCount(dst, r.EvidenceDropped, "frame")
		dst = append(dst, " not saved)"...)
	}
	return append(dst, '\n')
}
