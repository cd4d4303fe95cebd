package pcapfile

import "strconv"

// LinkType is a pcap LINKTYPE_ value: the link-layer header type a capture
// file or interface declares for its frames. The numbers are those of the
// tcpdump.org link-type registry, which the pcap and pcapng formats share.
// NoLinkType (-1) stands for a pcapng file without any interface.
type LinkType int

// NoLinkType is the link type of a pcapng file without any interface
// description: it holds no packets.
const NoLinkType LinkType = -1

// linkTypeNames are the LINKTYPE_ names without their prefix, by number.
// USER0 to USER15 (147 to 162) are computed in Name.
var linkTypeNames = map[LinkType]string{
	0: "NULL", 1: "EN10MB", 3: "AX25", 6: "IEEE802_5", 7: "ARCNET_BSD",
	8: "SLIP", 9: "PPP", 10: "FDDI", 12: "RAW", 14: "RAW", 50: "PPP_HDLC",
	51: "PPP_ETHER", 100: "ATM_RFC1483", 101: "RAW", 104: "C_HDLC",
	105: "IEEE802_11", 107: "FRELAY", 108: "LOOP", 113: "LINUX_SLL",
	114: "LTALK", 117: "PFLOG", 119: "IEEE802_11_PRISM", 122: "IP_OVER_FC",
	123: "SUNATM", 127: "IEEE802_11_RADIOTAP", 129: "ARCNET_LINUX",
	138: "APPLE_IP_OVER_IEEE1394", 139: "MTP2_WITH_PHDR", 140: "MTP2",
	141: "MTP3", 142: "SCCP", 143: "DOCSIS", 144: "LINUX_IRDA",
	163: "IEEE802_11_AVS", 165: "BACNET_MS_TP", 166: "PPP_PPPD",
	169: "GPRS_LLC", 177: "LINUX_LAPD", 182: "MFR", 187: "BLUETOOTH_HCI_H4",
	189: "USB_LINUX", 192: "PPI", 195: "IEEE802_15_4_WITHFCS",
	201: "BLUETOOTH_HCI_H4_WITH_PHDR", 220: "USB_LINUX_MMAPPED", 224: "FC_2",
	225: "FC_2_WITH_FRAME_DELIMS", 226: "IPNET", 227: "CAN_SOCKETCAN",
	228: "IPV4", 229: "IPV6", 239: "NFLOG", 240: "NETANALYZER",
	241: "NETANALYZER_TRANSPARENT", 249: "USBPCAP", 276: "LINUX_SLL2",
}

// Name returns the LINKTYPE_ name of lt without its prefix ("EN10MB",
// "LINUX_SLL", ...), or "" if the type is not known. Known does not mean
// that ipband can decode it.
func (lt LinkType) Name() string {
	if lt >= 147 && lt <= 162 {
		return "USER" + strconv.Itoa(int(lt-147))
	}
	return linkTypeNames[lt]
}

// String returns the name of lt, or its number when the name is not known.
func (lt LinkType) String() string {
	if n := lt.Name(); n != "" {
		return n
	}
	return strconv.Itoa(int(lt))
}
