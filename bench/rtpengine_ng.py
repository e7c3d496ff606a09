"""rtpengine's "ng" control protocol: bencoded dictionaries over UDP, as a small client.

A request is one datagram `<cookie> <bencoded dict>`; the answer echoes the cookie and carries a
bencoded dict with "result": "ok" (or "error" with "error-reason"). The cookie lets a client
match answers to requests and lets rtpengine recognise a retransmission (rtpengine's
docs/ng_control_protocol.md). Bencoding is BitTorrent's (BEP 3): integers `i42e`, byte strings
`4:spam`, lists `l...e`, dictionaries `d...e` with keys as byte strings in sorted order.

Only the standard library; used by bench/throughput.py for the rtpengine baseline.
"""
import ctypes
import os
import secrets
import socket
import time

# Bounds on what decode() accepts, so that a hostile or broken answer is an error, never a deep
# recursion or a huge allocation.
MAX_DEPTH = 32
MAX_MESSAGE = 1 << 20


class BencodeError(ValueError):
    """Input that is not one well-formed bencoded value; the message names the offset."""


def encode(value):
    """bytes of value: int, str (UTF-8), bytes, list/tuple, dict with str/bytes keys."""
    out = bytearray()
    _encode(value, out, 0)
    return bytes(out)


def _encode(value, out, depth):
    if depth > MAX_DEPTH:
        raise BencodeError(f"nesting deeper than {MAX_DEPTH}")
    if isinstance(value, bool):  # bool is an int in Python; bencode has no booleans
        raise BencodeError("bencode has no booleans; use a flag list or 0/1")
    if isinstance(value, int):
        out += b"i%de" % value
    elif isinstance(value, str):
        _encode(value.encode(), out, depth)
    elif isinstance(value, (bytes, bytearray)):
        out += b"%d:" % len(value) + bytes(value)
    elif isinstance(value, (list, tuple)):
        out += b"l"
        for item in value:
            _encode(item, out, depth + 1)
        out += b"e"
    elif isinstance(value, dict):
        keys = {}
        for k in value:
            kb = k.encode() if isinstance(k, str) else k
            if not isinstance(kb, (bytes, bytearray)):
                raise BencodeError(f"dictionary key {k!r} is not a string")
            if kb in keys:
                raise BencodeError(f"dictionary key {k!r} given twice")
            keys[bytes(kb)] = value[k]
        out += b"d"
        for kb in sorted(keys):  # BEP 3: keys sorted as raw strings
            _encode(kb, out, depth + 1)
            _encode(keys[kb], out, depth + 1)
        out += b"e"
    else:
        raise BencodeError(f"cannot bencode {type(value).__name__}")


def decode(data, sorted_keys=False):
    """The one value in data (bytes). Byte strings come back as str when they are UTF-8, else
    bytes. Raises BencodeError for anything malformed: truncation, leading zeros, "-0", a
    string longer than the input, a repeated dictionary key, trailing bytes; with sorted_keys
    also dictionary keys out of BEP 3's order. rtpengine itself writes its answers' keys
    unsorted ("sdp" before "result"), so its answers are read without sorted_keys."""
    if not isinstance(data, (bytes, bytearray)):
        raise BencodeError("input is not bytes")
    if len(data) > MAX_MESSAGE:
        raise BencodeError(f"input longer than {MAX_MESSAGE} bytes")
    value, end = _decode(bytes(data), 0, 0, sorted_keys)
    if end != len(data):
        raise BencodeError(f"trailing bytes at offset {end}")
    return value


def _digits(data, pos, stop):
    end = data.find(stop, pos)
    if end < 0:
        raise BencodeError(f"unterminated number at offset {pos}")
    text = data[pos:end]
    negative = text.startswith(b"-")
    body = text[1:] if negative else text
    if not body or not body.isdigit():
        raise BencodeError(f"bad number {text[:20]!r} at offset {pos}")
    if (len(body) > 1 and body[0:1] == b"0") or (negative and body == b"0"):
        raise BencodeError(f"non-canonical number {text[:20]!r} at offset {pos}")
    return int(text), end + 1


def _decode(data, pos, depth, sorted_keys):
    if depth > MAX_DEPTH:
        raise BencodeError(f"nesting deeper than {MAX_DEPTH} at offset {pos}")
    if pos >= len(data):
        raise BencodeError(f"truncated at offset {pos}")
    lead = data[pos:pos + 1]
    if lead == b"i":
        return _digits(data, pos + 1, b"e")
    if lead.isdigit():
        length, start = _digits(data, pos, b":")
        if length < 0 or start + length > len(data):
            raise BencodeError(f"string of {length} bytes at offset {pos} runs past the end")
        raw = data[start:start + length]
        try:
            return raw.decode(), start + length
        except UnicodeDecodeError:
            return raw, start + length
    if lead == b"l":
        items, pos = [], pos + 1
        while data[pos:pos + 1] != b"e":
            item, pos = _decode(data, pos, depth + 1, sorted_keys)
            items.append(item)
        return items, pos + 1
    if lead == b"d":
        result, pos, last = {}, pos + 1, None
        while data[pos:pos + 1] != b"e":
            if pos >= len(data) or not data[pos:pos + 1].isdigit():
                raise BencodeError(f"dictionary key at offset {pos} is not a string")
            key_at = pos
            key, pos = _decode(data, pos, depth + 1, sorted_keys)
            raw_key = key.encode() if isinstance(key, str) else key
            if key in result:
                raise BencodeError(f"dictionary key {key!r} at offset {key_at} is repeated")
            if sorted_keys and last is not None and raw_key < last:
                raise BencodeError(f"dictionary key {key!r} at offset {key_at} is out of order")
            last = raw_key
            result[key], pos = _decode(data, pos, depth + 1, sorted_keys)
        return result, pos + 1
    raise BencodeError(f"unexpected byte {lead!r} at offset {pos}")


def parse_reply(datagram, cookie):
    """The dict of an ng answer to the request with this cookie (bytes). Raises BencodeError
    for a datagram that is not `<cookie> <dict>` or answers another request."""
    sep = datagram.find(b" ")
    if sep <= 0:
        raise BencodeError("ng answer has no cookie")
    if datagram[:sep] != cookie:
        raise BencodeError(f"ng answer for cookie {datagram[:sep][:40]!r}, expected {cookie!r}")
    body = decode(datagram[sep + 1:])
    if not isinstance(body, dict):
        raise BencodeError("ng answer is not a dictionary")
    return body


class NgError(RuntimeError):
    """rtpengine answered "error", or did not answer."""


def _setns(path):
    """Moves the calling thread into the network namespace at path (setns(2); Python 3.11 has no
    os.setns). Returns nothing; raises OSError."""
    libc = ctypes.CDLL(None, use_errno=True)
    clone_newnet = 0x40000000
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, clone_newnet) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({path}): {os.strerror(err)}")
    finally:
        os.close(fd)


def udp_socket_in_netns(netns):
    """A UDP socket that lives in network namespace `netns` (an `ip netns` name), or in ours when
    None: created there, then this thread returns to its own namespace; the socket stays."""
    if netns is None:
        return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        _setns(f"/run/netns/{netns}")
        try:
            return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        finally:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.setns(own, 0x40000000) != 0:
                raise OSError(ctypes.get_errno(), "setns back to our own namespace failed")
    finally:
        os.close(own)


class NgClient:
    """Requests to one rtpengine's ng listener; one outstanding request at a time, retransmitted
    with the same cookie (rtpengine answers a repeated cookie from its cache, so a lost answer
    does not run a command twice)."""

    def __init__(self, address, netns=None, timeout_s=2.0, attempts=3):
        self.address = address
        self.timeout_s = timeout_s
        self.attempts = attempts
        self.sock = udp_socket_in_netns(netns)
        self.sock.settimeout(timeout_s)

    def close(self):
        self.sock.close()

    def request(self, command, **fields):
        """The answer dict of `command` with fields (underscores in names become dashes, as ng
        spells them). Raises NgError for result "error" or no answer."""
        message = {"command": command}
        message.update({k.replace("_", "-"): v for k, v in fields.items()})
        cookie = secrets.token_hex(8).encode()
        datagram = cookie + b" " + encode(message)
        for _ in range(self.attempts):
            self.sock.sendto(datagram, self.address)
            deadline = time.monotonic() + self.timeout_s
            while time.monotonic() < deadline:
                try:
                    answer = self.sock.recv(65536)
                except socket.timeout:
                    break
                try:
                    body = parse_reply(answer, cookie)
                except BencodeError:
                    continue  # a late answer to an earlier request, or noise
                if body.get("result") == "error":
                    raise NgError(f"rtpengine {command}: {body.get('error-reason', 'error')}")
                return body
        raise NgError(f"rtpengine did not answer {command} at {self.address[0]}:{self.address[1]}")
