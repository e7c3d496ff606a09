"""Runs inside a namespace (ip netns exec NS /usr/bin/python3 ue_scapy.py ...) and uses scapy on
one interface there:

  send PCAP --iface IF [--inter S] [--wait-go]
      sends every frame of PCAP with sendp; with --wait-go, prints "ready" once scapy is loaded
      and sends when a line arrives on stdin, so the caller can time the burst.
  capture PCAP --iface IF --dst IP --dport PORT --count N --timeout S
      prints "ready" once the sniffer runs, then writes the first N outgoing UDP frames to
      IP:PORT into PCAP (fewer if S seconds pass first).
"""
import argparse
import sys

from scapy.all import IP, IPv6, UDP, AsyncSniffer, rdpcap, sendp, wrpcap


def send(args):
    frames = rdpcap(args.pcap)
    if args.wait_go:
        print("ready", flush=True)
        sys.stdin.readline()
    sendp(frames, iface=args.iface, inter=args.inter, verbose=False)
    print(f"sent {len(frames)}", flush=True)


def capture(args):
    def wanted(p):
        if UDP not in p or p[UDP].dport != args.dport:
            return False
        ip = p[IP] if IP in p else p[IPv6] if IPv6 in p else None
        return ip is not None and ip.dst == args.dst

    sniffer = AsyncSniffer(iface=args.iface, lfilter=wanted, count=args.count, store=True,
                           started_callback=lambda: print("ready", flush=True))
    sniffer.start()
    sniffer.join(timeout=args.timeout)
    if sniffer.running:
        sniffer.stop()
    wrpcap(args.pcap, sniffer.results or [])
    print(f"captured {len(sniffer.results or [])}", flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("send")
    s.add_argument("pcap")
    s.add_argument("--iface", required=True)
    s.add_argument("--inter", type=float, default=0.0)
    s.add_argument("--wait-go", action="store_true")
    c = sub.add_parser("capture")
    c.add_argument("pcap")
    c.add_argument("--iface", required=True)
    c.add_argument("--dst", required=True)
    c.add_argument("--dport", type=int, required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--timeout", type=float, default=10.0)
    args = parser.parse_args()
    {"send": send, "capture": capture}[args.command](args)


if __name__ == "__main__":
    main()
