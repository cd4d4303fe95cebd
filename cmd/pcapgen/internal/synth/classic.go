package synth

import (
	"iter"
	"net/netip"
	"time"
)

// classic is a 15-minute capture of a branch network, 10.10.0.0/16, talking
// to servers in 10.100.11.0/24, 128.10.11.0/24 and 10.200.11.0/24. Every
// minute has a fixed packet plan; only arrival times within the minute and
// some frame sizes are random. Bytes per minute (1 kB = 1024 bytes):
//
//   - 10.10.123.0/24, minutes 0-12: ~32.6 kBps (imap2 bulk 10.100.11.13:143 ->
//     10.10.123.173:4359, 1300 x 1514 bytes plus 163 bare ACKs, and telnet,
//     netbios-ssn, netbios-dgm, printer, ICMP echo and same-subnet NFS
//     traffic); minutes 13-14: ~0.05 kBps. With -a 60 -r 300 and a threshold
//     of 22 it logs from the end of minute 0, reports at the ends of minutes
//     5 and 10 and drops at the end of minute 13.
//   - 10.10.81.0/24: ~27.2 kBps in minutes 2 and 3 (http bulk), ~2 kBps
//     otherwise: crosses 22 at the end of minute 2, drops at the end of 4.
//   - 10.10.44.0/24 ~2 kBps, 10.10.2.0/24 ~1 kBps, 10.10.24.0/24 ~1 kBps,
//     10.10.1.0/24 ~0.12 kBps, steady.
//
// It has about 29,000 packets; the first is at o.Start exactly.
func classic(o Options) iter.Seq[Event] {
	r := newRand(o.Seed, 0xc1a551c)
	return windows(o, r, 15, time.Minute, classicMinute)
}

// classicEnd is the last hot minute of 10.10.123.0/24 in classic.
const classicEnd = 12

// classicMinute is the packet plan of minute m.
func classicMinute(m int) []flow {
	var (
		imapSrv   = v4(10, 100, 11, 13)
		httpSrv   = v4(10, 100, 11, 40)
		telnetSrv = v4(128, 10, 11, 200)
		dgmSrv    = v4(128, 10, 11, 15)
		smbSrv    = v4(10, 200, 11, 2)
		dnsSrv    = v4(10, 200, 11, 53)
		hot173    = v4(10, 10, 123, 173)
		hot79     = v4(10, 10, 123, 79)
		hot78     = v4(10, 10, 123, 78)
		hot254    = v4(10, 10, 123, 254)
		hot117    = v4(10, 10, 123, 117)
		hot71     = v4(10, 10, 123, 71)
		hotNFSCli = v4(10, 10, 123, 10)
		hotNFSSrv = v4(10, 10, 123, 20)
		web81     = v4(10, 10, 81, 5)
		mail2     = v4(10, 10, 2, 14)
		smb44     = v4(10, 10, 44, 80)
		dgm44     = v4(10, 10, 44, 75)
		dns1      = v4(10, 10, 1, 5)
		web24     = v4(10, 10, 24, 31)
		dgm24     = v4(10, 10, 24, 254)
	)
	seq := uint32(m) << 24
	tcp := func(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) Packet {
		p := conn(ProtoTCP, src, sport, dst, dport)
		p.Seq, p.Ack = seq, seq+1
		return p
	}
	udp := func(src netip.Addr, sport uint16, dst netip.Addr, dport uint16) Packet {
		return conn(ProtoUDP, src, sport, dst, dport)
	}
	var f []flow
	if m <= classicEnd {
		f = append(f,
			sized(tcp(imapSrv, 143, hot173, 4359), 1300, 1514, 1514),
			bare(tcp(hot173, 4359, imapSrv, 143), 163),
			sized(tcp(imapSrv, 143, hot173, 4366), 4, 590, 590),
			bare(tcp(hot173, 4366, imapSrv, 143), 4),
			sized(tcp(imapSrv, 143, hot79, 4520), 4, 590, 590),
			bare(tcp(hot79, 4520, imapSrv, 143), 4),
			sized(tcp(imapSrv, 143, hot78, 1325), 4, 590, 590),
			bare(tcp(hot78, 1325, imapSrv, 143), 4),
			sized(tcp(hot79, 4318, telnetSrv, 23), 60, 60, 60),
			sized(tcp(telnetSrv, 23, hot79, 4318), 60, 66, 130),
			sized(tcp(hot254, 1834, smbSrv, 139), 5, 590, 590),
			bare(tcp(smbSrv, 139, hot254, 1834), 5),
			sized(tcp(hot254, 1833, smbSrv, 139), 1, 590, 590),
			bare(tcp(smbSrv, 139, hot254, 1833), 1),
			sized(udp(hot79, 138, dgmSrv, 138), 5, 243, 243),
			sized(udp(hot117, 138, dgmSrv, 138), 2, 243, 243),
			sized(tcp(hot71, 515, telnetSrv, 979), 1, 590, 590),
			bare(tcp(telnetSrv, 979, hot71, 515), 1),
			sized(echo(hot173, imapSrv), 6, 98, 98),
			sized(echo(hot78, imapSrv), 6, 98, 98),
			sized(udp(hotNFSCli, 1023, hotNFSSrv, 2049), 4, 170, 170),
			sized(udp(hotNFSSrv, 2049, hotNFSCli, 1023), 4, 170, 170),
		)
	} else {
		f = append(f,
			sized(tcp(hot79, 4318, telnetSrv, 23), 10, 60, 60),
			sized(tcp(telnetSrv, 23, hot79, 4318), 10, 66, 130),
			sized(echo(hot173, imapSrv), 6, 98, 98),
		)
	}
	// Other subnets' packets to 10.10.123.0 (netbios datagrams).
	f = append(f,
		sized(udp(dgm24, 138, hot117, 138), 2, 243, 243),
		sized(udp(dgm44, 138, hot254, 138), 2, 243, 243),
	)
	// 10.10.81.0: http bulk, over 22 kBps in minutes 2 and 3 only.
	if m == 2 || m == 3 {
		f = append(f,
			sized(tcp(httpSrv, 80, web81, 1045), 1100, 1514, 1514),
			bare(tcp(web81, 1045, httpSrv, 80), 138))
	} else {
		f = append(f,
			sized(tcp(httpSrv, 80, web81, 1045), 80, 1514, 1514),
			bare(tcp(web81, 1045, httpSrv, 80), 10))
	}
	// Steady low traffic.
	f = append(f,
		sized(tcp(smbSrv, 139, smb44, 1200), 80, 1514, 1514),
		bare(tcp(smb44, 1200, smbSrv, 139), 10),
		sized(tcp(mail2, 1100, imapSrv, 25), 40, 1514, 1514),
		bare(tcp(imapSrv, 25, mail2, 1100), 10),
		sized(tcp(telnetSrv, 80, web24, 1300), 40, 1514, 1514),
		bare(tcp(web24, 1300, telnetSrv, 80), 10),
		sized(udp(dns1, 1030, dnsSrv, 53), 30, 80, 80),
		sized(udp(dnsSrv, 53, dns1, 1030), 30, 160, 160),
	)
	return f
}
