#!/usr/bin/python3
# Writes the seed corpus of neigh_frame_fuzz (input format in neigh_frame_fuzz.cpp): records of
# [control, host, length, frame] built with scapy (python3-scapy 2.5, Debian's /usr/bin/python3)
# for the test network of tests/dataplane/neigh/test_network.hpp. The files are committed; rerun
# after changing this list.
#
# usage: /usr/bin/python3 tests/fuzz/make_neigh_corpus.py tests/fuzz/corpus/neigh_frame
import os
import sys

from scapy.all import ARP, Dot1Q, Ether, ICMP, ICMPv6EchoRequest, ICMPv6ND_NA, ICMPv6ND_NS, \
    ICMPv6NDOptDstLLAddr, ICMPv6NDOptSrcLLAddr, IP, IPv6, Raw, UDP, raw

A, C, P, G = "02:00:00:00:00:01", "02:00:00:00:00:02", "02:00:00:00:00:aa", "02:00:00:00:00:bb"
BCAST = "ff:ff:ff:ff:ff:ff"
ACCESS, CORE = 0, 1
RESOLVE, TICK = 2, 4


def record(frame, side=ACCESS, flags=0, host=10, advance=0):
    data = raw(frame)
    return bytes([side | flags | (advance << 3), host]) + len(data).to_bytes(2, "big") + data


def tagged(*layers):
    pkt = Ether(dst=layers[0], src=layers[1]) / Dot1Q(prio=1, vlan=100)
    for layer in layers[2:]:
        pkt = pkt / layer
    return pkt


def corpus():
    c = {}
    arp_req = Ether(dst=BCAST, src=P) / ARP(op=1, hwsrc=P, psrc="192.0.2.10", pdst="192.0.2.1")
    arp_reply = Ether(dst=A, src=P) / ARP(op=2, hwsrc=P, psrc="192.0.2.10", hwdst=A, pdst="192.0.2.1")
    ns = Ether(dst="33:33:ff:00:00:01", src=P) / IPv6(src="2001:db8::10", dst="ff02::1:ff00:1", hlim=255) / \
        ICMPv6ND_NS(tgt="2001:db8::1") / ICMPv6NDOptSrcLLAddr(lladdr=P)
    na = Ether(dst=A, src=P) / IPv6(src="2001:db8::10", dst="2001:db8::1", hlim=255) / \
        ICMPv6ND_NA(tgt="2001:db8::10", R=0, S=1, O=1) / ICMPv6NDOptDstLLAddr(lladdr=P)
    c["arp_request"] = record(arp_req)
    c["arp_request_vlan"] = record(tagged(BCAST, G, ARP(op=1, hwsrc=G, psrc="198.51.100.254",
                                                         pdst="198.51.100.1")), side=CORE)
    c["arp_resolution"] = record(arp_reply, flags=RESOLVE | TICK) + record(arp_reply, advance=31) + \
        record(arp_req, flags=RESOLVE | TICK, advance=31)
    c["gratuitous_arp"] = record(arp_reply, flags=RESOLVE | TICK) + \
        record(Ether(dst=BCAST, src="02:00:00:00:00:ab") /
               ARP(op=1, hwsrc="02:00:00:00:00:ab", psrc="192.0.2.10", pdst="192.0.2.10"))
    c["ns"] = record(ns)
    c["ns_dad"] = record(Ether(dst="33:33:ff:00:00:01", src=P) / IPv6(src="::", dst="ff02::1:ff00:1", hlim=255) /
                         ICMPv6ND_NS(tgt="2001:db8::1"))
    c["ns_hop_limit_254"] = record(Ether(dst="33:33:ff:00:00:01", src=P) /
                                   IPv6(src="2001:db8::10", dst="ff02::1:ff00:1", hlim=254) /
                                   ICMPv6ND_NS(tgt="2001:db8::1") / ICMPv6NDOptSrcLLAddr(lladdr=P))
    c["nd_resolution"] = record(na, flags=RESOLVE | TICK, host=0x90) + record(ns, advance=31)
    c["nd_resolution_vlan"] = record(
        tagged(C, G, IPv6(src="2001:db8:1::fe", dst="2001:db8:1::1", hlim=255),
               ICMPv6ND_NA(tgt="2001:db8:1::fe", R=1, S=1, O=1), ICMPv6NDOptDstLLAddr(lladdr=G)),
        side=CORE, flags=RESOLVE | TICK, host=0x80)
    c["echo4"] = record(Ether(dst=A, src=P) / IP(src="192.0.2.10", dst="192.0.2.1") /
                        ICMP(type=8, id=7, seq=1) / Raw(bytes(range(40))))
    c["echo4_vlan"] = record(tagged(C, G, IP(src="198.51.100.20", dst="198.51.100.1"), ICMP(type=8, id=1, seq=9)),
                             side=CORE)
    c["echo6"] = record(Ether(dst=A, src=P) / IPv6(src="2001:db8::10", dst="2001:db8::1") /
                        ICMPv6EchoRequest(id=7, seq=1, data=bytes(range(40))))
    c["udp"] = record(Ether(dst=A, src=P) / IP(src="192.0.2.10", dst="192.0.2.1") / UDP(sport=5004, dport=6000) /
                      Raw(bytes(20)))
    c["retries_and_failure"] = record(arp_req, flags=RESOLVE | TICK, host=77) + \
        b"".join(record(arp_req, flags=TICK, advance=10) for _ in range(6))
    return c


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_neigh_corpus.py OUTPUT_DIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, data in sorted(corpus().items()):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    print(f"{len(corpus())} seeds in {out}")


if __name__ == "__main__":
    main()
