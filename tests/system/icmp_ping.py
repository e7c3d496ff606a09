"""ICMP echo through the kernel's stack (so the kernel resolves the target by ARP or ND first),
for namespaces on hosts without ping(8): ip netns exec NS python3 icmp_ping.py ADDR [--count N].
Exit 0 when every request got its reply (RFC 792, RFC 4443 §4) within --timeout seconds each."""
import argparse
import ipaddress
import os
import select
import socket
import struct
import sys
import time


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    total = (total >> 16) + (total & 0xFFFF)
    total += total >> 16
    return ~total & 0xFFFF


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("address")
    parser.add_argument("--count", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=2.0)
    args = parser.parse_args()
    v6 = ipaddress.ip_address(args.address).version == 6
    family, proto = (socket.AF_INET6, socket.IPPROTO_ICMPV6) if v6 else (socket.AF_INET, socket.IPPROTO_ICMP)
    request_type, reply_type = (128, 129) if v6 else (8, 0)
    ident = os.getpid() & 0xFFFF
    answered = 0
    with socket.socket(family, socket.SOCK_RAW, proto) as s:
        for seq in range(1, args.count + 1):
            payload = struct.pack("!d", time.time()) + bytes(range(48))
            header = struct.pack("!BBHHH", request_type, 0, 0, ident, seq)
            # The kernel fills in the ICMPv6 checksum (it needs the pseudo-header), not ICMP's.
            csum = 0 if v6 else checksum(header + payload)
            packet = struct.pack("!BBHHH", request_type, 0, csum, ident, seq) + payload
            s.sendto(packet, (args.address, 0))
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                ready, _, _ = select.select([s], [], [], max(0.0, deadline - time.monotonic()))
                if not ready:
                    break
                data, _ = s.recvfrom(2048)
                icmp = data if v6 else data[(data[0] & 0x0F) * 4:]
                if len(icmp) < 8:
                    continue
                kind, _, _, rid, rseq = struct.unpack("!BBHHH", icmp[:8])
                if kind == reply_type and rid == ident and rseq == seq:
                    if icmp[8:] != payload:
                        print(f"reply {seq} carries other data", file=sys.stderr)
                        return 1
                    answered += 1
                    break
            time.sleep(0.1)
    print(f"{answered}/{args.count} answered")
    return 0 if answered == args.count else 1


if __name__ == "__main__":
    sys.exit(main())
