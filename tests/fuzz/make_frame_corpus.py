#!/usr/bin/python3
# Writes the seed corpus of frame_parse_fuzz: one Ethernet frame per file, built with scapy
# (python3-scapy 2.5, Debian's /usr/bin/python3), covering every shape parse_frame accepts and
# one frame per drop reason. The files are committed; rerun after changing this list.
#
# usage: /usr/bin/python3 tests/fuzz/make_frame_corpus.py tests/fuzz/corpus/frame_parse
import os
import sys

from scapy.all import ARP, Dot1AD, Dot1Q, Ether, ICMP, ICMPv6EchoRequest, ICMPv6MLReport2, \
    ICMPv6ND_NA, ICMPv6ND_NS, IP, IPOption_Router_Alert, IPv6, IPv6ExtHdrFragment, \
    IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, Raw, TCP, UDP, raw

ETH = Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
V4 = dict(src="192.0.2.1", dst="198.51.100.2")
V6 = dict(src="2001:db8::1", dst="2001:db8:1::2")
RTP = bytes([0x80, 0x00, 0x12, 0x34, 0, 0, 0, 160, 0xca, 0xfe, 0xba, 0xbe]) + \
    bytes((7 * j + 3) % 256 for j in range(160))
RTCP_RR = bytes.fromhex("81c90007cafebabe") + bytes(24)
MEDIA = UDP(sport=5004, dport=6000)


def frame(pkt):
    return raw(pkt)


def with_ip_checksum(data, l3, value):
    b = bytearray(data)
    b[l3 + 10:l3 + 12] = value.to_bytes(2, "big")
    return bytes(b)


def corpus():
    c = {}
    # Accepted UDP shapes.
    c["ipv4_udp_rtp"] = frame(ETH / IP(**V4, flags="DF") / MEDIA / RTP)
    c["ipv4_vlan_udp_rtp"] = frame(ETH / Dot1Q(vlan=100, prio=5) / IP(**V4, tos=0xb8) / MEDIA / RTP)
    c["ipv6_udp_rtp"] = frame(ETH / IPv6(**V6, tc=0xb8) / MEDIA / RTP)
    c["ipv6_vlan_udp_rtp"] = frame(ETH / Dot1Q(vlan=4094) / IPv6(**V6, hlim=1) / MEDIA / RTP)
    c["ipv4_udp_rtcp"] = frame(ETH / IP(**V4) / UDP(sport=5005, dport=6001) / RTCP_RR)
    c["ipv6_udp_rtcp_mux"] = frame(ETH / IPv6(**V6) / MEDIA / RTCP_RR)
    c["ipv4_udp_padded_60"] = frame(ETH / IP(**V4) / MEDIA / b"ab") + bytes(60 - 44)
    c["ipv4_udp_empty"] = frame(ETH / IP(**V4) / MEDIA)
    c["ipv4_udp_no_checksum"] = frame(ETH / IP(**V4) / UDP(sport=5004, dport=6000, chksum=0) / RTP)
    # RFC 768: the checksum covers the UDP length, not the IP payload's surplus bytes after it.
    datagram = raw(IP(**V4) / UDP(sport=1, dport=2) / RTP[:4])[20:]
    c["ipv4_udp_short_of_ip"] = frame(ETH / IP(**V4, proto=17) / Raw(datagram + b"surplus"))
    # Other kinds.
    c["arp_request"] = frame(ETH / ARP(op=1, psrc="192.0.2.1", pdst="192.0.2.254")) + bytes(18)
    c["arp_reply_vlan"] = frame(ETH / Dot1Q(vlan=7) / ARP(op=2, psrc="192.0.2.254", pdst="192.0.2.1"))
    c["icmp_echo"] = frame(ETH / IP(**V4) / ICMP() / b"ping")
    c["icmpv6_echo"] = frame(ETH / IPv6(**V6) / ICMPv6EchoRequest(data=b"ping"))
    c["icmpv6_ns"] = frame(ETH / IPv6(src="fe80::1", dst="ff02::1:ff00:2", hlim=255) /
                           ICMPv6ND_NS(tgt="2001:db8:1::2"))
    c["icmpv6_na_vlan"] = frame(ETH / Dot1Q(vlan=5) / IPv6(src="fe80::2", dst="fe80::1", hlim=255) /
                                ICMPv6ND_NA(tgt="2001:db8:1::2", R=0, S=1, O=1))
    c["ipv4_tcp"] = frame(ETH / IP(**V4) / TCP(sport=5060, dport=5060))
    c["ipv6_tcp"] = frame(ETH / IPv6(**V6) / TCP(sport=5060, dport=5060))
    c["ipv6_no_next_header"] = frame(ETH / IPv6(**V6, nh=59))
    # One per drop reason.
    c["truncated_ethernet"] = frame(ETH)[:10]
    c["truncated_ipv4"] = frame(ETH / IP(**V4) / MEDIA / RTP)[:30]
    c["truncated_ipv6"] = frame(ETH / IPv6(**V6) / MEDIA / RTP)[:50]
    c["lldp"] = frame(Ether(dst="01:80:c2:00:00:0e", type=0x88CC) / bytes(40))
    c["qinq"] = frame(ETH / Dot1AD(vlan=10) / Dot1Q(vlan=20) / IP(**V4) / MEDIA / RTP)
    c["vlan_in_vlan"] = frame(ETH / Dot1Q(vlan=10) / Dot1Q(vlan=20) / IP(**V4) / MEDIA / RTP)
    c["ipv4_header_length_4"] = frame(ETH / IP(**V4, ihl=4) / MEDIA / RTP)
    c["ipv4_options"] = frame(ETH / IP(**V4, options=[IPOption_Router_Alert()]) / MEDIA / RTP)
    c["ipv4_total_length_long"] = frame(ETH / IP(**V4, len=1400) / MEDIA / RTP)
    c["ipv4_first_fragment"] = frame(ETH / IP(**V4, flags="MF", id=7) / MEDIA / RTP)
    c["ipv4_last_fragment"] = frame(ETH / IP(**V4, frag=23, id=7) / RTP)
    c["ipv6_fragment"] = frame(ETH / IPv6(**V6) / IPv6ExtHdrFragment(m=1, id=7) / MEDIA / RTP)
    c["ipv6_hop_by_hop_mld"] = frame(ETH / IPv6(src="fe80::1", dst="ff02::16", hlim=1) /
                                     IPv6ExtHdrHopByHop() / ICMPv6MLReport2())
    c["ipv6_routing"] = frame(ETH / IPv6(**V6) / IPv6ExtHdrRouting() / MEDIA / RTP)
    good = frame(ETH / IP(**V4) / MEDIA / RTP)
    c["ipv4_bad_checksum"] = with_ip_checksum(good, 14, 0x1234)
    c["ipv4_udp_bad_checksum"] = frame(ETH / IP(**V4) / UDP(sport=5004, dport=6000, chksum=0x1234) / RTP)
    c["ipv6_udp_zero_checksum"] = frame(ETH / IPv6(**V6) / UDP(sport=5004, dport=6000, chksum=0) / RTP)
    c["ipv4_udp_length_7"] = frame(ETH / IP(**V4) / UDP(sport=5004, dport=6000, len=7) / RTP)
    c["ipv6_udp_length_long"] = frame(ETH / IPv6(**V6) / UDP(sport=5004, dport=6000, len=1000) / RTP)
    c["ipv6_version_4"] = frame(Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02", type=0x86DD) /
                                IP(**V4) / MEDIA / RTP)
    return c


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_frame_corpus.py DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(corpus())} frames in {out}")


if __name__ == "__main__":
    main()
