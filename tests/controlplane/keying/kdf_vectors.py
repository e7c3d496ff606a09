#!/usr/bin/env python3
"""Independent implementation of the e2ae media key derivation (docs/keying.md), written from
the text of 3GPP TS 33.220 Annex B.2 with Python's hmac/hashlib only. It prints one line per
vector, "<name> <master key hex> <master salt hex>"; kdf_test.cpp runs it and compares with both
the vectors committed there and controlplane/keying/kdf.cpp.
"""
import hashlib
import hmac

# Suite name -> (master key bytes, master salt bytes): RFC 4568, RFC 6188, RFC 7714.
SUITES = {
    "AES_CM_128_HMAC_SHA1_80": (16, 14),
    "AES_CM_128_HMAC_SHA1_32": (16, 14),
    "AES_256_CM_HMAC_SHA1_80": (32, 14),
    "AES_256_CM_HMAC_SHA1_32": (32, 14),
    "AEAD_AES_128_GCM": (16, 12),
    "AEAD_AES_256_GCM": (32, 12),
}
# Key source -> (FC, P0 label): this project's own values, not standardised.
SOURCES = {
    "aka": (0xE0, b"msf-e2ae-aka"),
    "tls-exporter": (0xE1, b"msf-e2ae-tls-exporter"),
    "tls-master": (0xE2, b"msf-e2ae-tls-master"),
    "digest": (0xE3, b"msf-e2ae-digest"),
}


def kdf(key, fc, params):
    """TS 33.220 B.2.0: HMAC-SHA-256(Key, FC || P0 || L0 || ... || Pn || Ln)."""
    s = bytes([fc])
    for p in params:
        s += p + len(p).to_bytes(2, "big")
    return hmac.new(key, s, hashlib.sha256).digest()


def media_keys(source, key, call_id, media_index, direction, suite):
    fc, label = SOURCES[source]
    key_len, salt_len = SUITES[suite]
    out = b""
    counter = 1
    while len(out) < key_len + salt_len:
        out += kdf(key, fc, [label, call_id.encode(), media_index.to_bytes(2, "big"),
                             bytes([direction]), suite.encode(), bytes([counter])])
        counter += 1
    return out[:key_len], out[key_len:key_len + salt_len]


def ha1(algorithm, username, realm, password):
    h = hashlib.md5 if algorithm == "MD5" else hashlib.sha256
    return h(f"{username}:{realm}:{password}".encode()).digest()


CALL_ID = "a84b4c76e66710@pc33.atlanta.example.com"
CK = bytes(range(0x00, 0x10))
IK = bytes(range(0x10, 0x20))
EXPORTER = bytes(range(0x40, 0x80))  # 64 bytes
MASTER = bytes(range(0xA0, 0xD0))    # 48 bytes
USER, REALM, PASSWORD = "alice@ims.example.com", "ims.example.com", "secret"

VECTORS = [
    ("aka_cm128_ue_to_network", "aka", CK + IK, CALL_ID, 0, 0, "AES_CM_128_HMAC_SHA1_80"),
    ("aka_cm256_network_to_ue", "aka", CK + IK, CALL_ID, 1, 1, "AES_256_CM_HMAC_SHA1_80"),
    ("tls_exporter_gcm128", "tls-exporter", EXPORTER, CALL_ID, 0, 0, "AEAD_AES_128_GCM"),
    ("tls_master_gcm256", "tls-master", MASTER, CALL_ID, 2, 1, "AEAD_AES_256_GCM"),
    ("digest_md5_cm128_32", "digest", ha1("MD5", USER, REALM, PASSWORD), CALL_ID, 0, 0,
     "AES_CM_128_HMAC_SHA1_32"),
    ("digest_sha256_cm256_32", "digest", ha1("SHA-256", USER, REALM, PASSWORD), CALL_ID, 3, 1,
     "AES_256_CM_HMAC_SHA1_32"),
]

if __name__ == "__main__":
    print("ha1_md5", ha1("MD5", USER, REALM, PASSWORD).hex())
    print("ha1_sha256", ha1("SHA-256", USER, REALM, PASSWORD).hex())
    for name, source, key, call_id, index, direction, suite in VECTORS:
        k, s = media_keys(source, key, call_id, index, direction, suite)
        print(name, k.hex(), s.hex())
