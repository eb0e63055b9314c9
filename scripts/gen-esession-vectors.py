#!/usr/bin/env python3
"""Known answers for the ESession key schedule: writes tests/data/esession-vectors.json.

Computes, for fixed inputs, every value of an XEP-0217 negotiation (and the XEP-0116 variants it shares)
that core/esession/EsessionKeys.cpp produces: e, d, He, K0, K, the six keys, mac_A/ID_A/M_A,
mac_B/ID_B/M_B, rshash, srshash, RS_new, the sas28x5 SAS and Sotto's committed SAS. tests/unit/tst_esessionkdf.cpp recomputes all of
them with the C++ code and compares byte for byte.

Written apart from the C++ code on purpose: Python's hashlib, hmac and pow(), the MODP prime typed in from
RFC 3526 (and checked against the RFC's own formula), and AES-CTR from the `cryptography` package (Debian:
python3-cryptography) or, when that is missing, from the `openssl enc` command. No primitive is written
here.

Every input comes from a fixed label through SHA-256, so the output is the same on every run. Where a case
needs a property (a shared secret with a leading zero octet, a SAS below 28^4, ...), the label's index is
searched upwards from 0 and the index found is recorded in the file.

Usage: scripts/gen-esession-vectors.py            (writes the file)
       scripts/gen-esession-vectors.py --check    (exit 1 if the file on disk differs)
"""

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys

try:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
except ImportError:  # fall back to the openssl command
    Cipher = None

# RFC 3526 §3, "2048-bit MODP Group": the prime as printed there; the generator is 2.
MODP14_PRIME_HEX = """
    FFFFFFFF FFFFFFFF C90FDAA2 2168C234 C4C6628B 80DC1CD1
    29024E08 8A67CC74 020BBEA6 3B139B22 514A0879 8E3404DD
    EF9519B3 CD3A431B 302B0A6D F25F1437 4FE1356D 6D51C245
    E485B576 625E7EC6 F44C42E9 A637ED6B 0BFF5CB6 F406B7ED
    EE386BFB 5A899FA5 AE9F2411 7C4B1FE6 49286651 ECE45B3D
    C2007CB8 A163BF05 98DA4836 1C55D39A 69163FA8 FD24CF5F
    83655D23 DCA3AD96 1C62F356 208552BB 9ED52907 7096966D
    670C354E 4ABC9804 F1746C08 CA18217C 32905E46 2E36CE3B
    E39E772C 180E8603 9B2783A2 EC07A28F B5C55DF0 6F4C52C9
    DE2BCBF6 95581718 3995497C EA956AE5 15D22618 98FA0510
    15728E5A 8AACAA68 FFFFFFFF FFFFFFFF
"""
P = int("".join(MODP14_PRIME_HEX.split()), 16)
G = 2
MODP_GROUP = 14

SAS_ALPHABET = "acdefghikmopqruvwxy123456789"
LABEL_PREFIX = "sotto-esession-vectors/"


def check_prime():
    """The typed-in prime must be RFC 3526's formula 2^2048 - 2^1984 - 1 + 2^64 * (floor(2^1918 pi) + 124476)."""
    def floor_pi_times_2_to(bits):
        guard = 64
        one = 1 << (bits + guard)

        def arctan_inverse(x):  # arctan(1/x) * one, alternating series
            total, term, k = 0, one // x, 0
            while term:
                total += -(term // (2 * k + 1)) if k % 2 else term // (2 * k + 1)
                term //= x * x
                k += 1
            return total

        return (16 * arctan_inverse(5) - 4 * arctan_inverse(239)) >> guard  # Machin's formula

    expected = 2**2048 - 2**1984 - 1 + 2**64 * (floor_pi_times_2_to(1918) + 124476)
    assert P == expected, "MODP group 14 prime mistyped"
    assert P.bit_length() == 2048
    assert pow(G, P - 1, P) == 1 and pow(G, (P - 1) // 2, P) == 1  # Fermat, and g in the order-q subgroup


# --- encodings -------------------------------------------------------------------------------------------

def mpi(n):
    """XEP-0116 multiple-precision integer: big-endian, no leading zero octet (zero is one zero octet)."""
    return n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")


def sha256(data):
    return hashlib.sha256(data).digest()


def hmac_sha256(key, message):
    return hmac.new(key, message, hashlib.sha256).digest()


def b64(data):
    return base64.b64encode(data).decode("ascii")


def label_bytes(label, size):
    """size bytes from SHA-256 of "<prefix><label>/1", "/2", ... concatenated."""
    out = b""
    i = 1
    while len(out) < size:
        out += sha256(f"{LABEL_PREFIX}{label}/{i}".encode())
        i += 1
    return out[:size]


def first_index(predicate, limit=1 << 16):
    for index in range(limit):
        if predicate(index):
            return index
    raise RuntimeError("no index found")


def nonce(label):
    """32 bytes with a non-zero first octet (so that reading the nonce as an integer changes nothing)."""
    index = first_index(lambda i: label_bytes(f"{label}/{i}", 32)[0] != 0)
    return label_bytes(f"{label}/{index}", 32)


def exponent(label):
    """A 512-bit private exponent: above 2^255 (2^(2n-1), n = 128) and below p-1."""
    index = first_index(lambda i: label_bytes(f"{label}/{i}", 64)[0] != 0)
    x = int.from_bytes(label_bytes(f"{label}/{index}", 64), "big")
    assert 2**255 < x < P - 1
    return x


def aes_ctr(key, counter_block, data):
    """AES-CTR, the 16-byte counter block incremented big-endian per block (both back ends do that)."""
    assert len(key) in (16, 32) and len(counter_block) == 16
    if Cipher is not None:
        encryptor = Cipher(algorithms.AES(key), modes.CTR(counter_block)).encryptor()
        return encryptor.update(data) + encryptor.finalize()
    result = subprocess.run(
        ["openssl", "enc", f"-aes-{len(key) * 8}-ctr", "-K", key.hex(), "-iv", counter_block.hex(), "-nopad"],
        input=data, capture_output=True, check=True)
    return result.stdout


# --- normalised forms (brief part 1 §1.3 output format, built directly as text) ---------------------------

def field(var, values=(), options=(), ftype=None, required=False):
    attrs = (f' type="{ftype}"' if ftype else "") + f' var="{var}"'
    body = "".join(f"<value>{v}</value>" for v in values)
    body += "".join(f"<option><value>{o}</value></option>" for o in options)
    body += "<required></required>" if required else ""
    return f"<field{attrs}>{body}</field>"


def form_type():
    return field("FORM_TYPE", ["urn:xmpp:ssn"], ftype="hidden")


def request_form(cipher_options, n_a, he):
    """form_A: Alice's request (message 1), one MODP group offered."""
    return "".join([
        form_type(),
        field("accept", ["1"], ftype="boolean", required=True),
        field("otr", options=["false", "true"], ftype="list-single", required=True),
        field("disclosure", options=["never"], ftype="list-single", required=True),
        field("security", options=["e2e", "c2s"], ftype="list-single", required=True),
        field("modp", options=[str(MODP_GROUP)], ftype="list-single"),
        (field("crypt_algs", [cipher_options[0]], ftype="hidden") if len(cipher_options) == 1
         else field("crypt_algs", options=cipher_options, ftype="list-single")),
        field("hash_algs", ["sha256"], ftype="hidden"),
        field("compress", ["none"], ftype="hidden"),
        field("stanzas", options=["message", "iq", "presence"], ftype="list-multi"),
        field("init_pubkey", ["none"], ftype="hidden"),
        field("resp_pubkey", ["none"], ftype="hidden"),
        field("ver", options=["1.0"], ftype="list-single"),
        field("rekey_freq", ["4294967295"], ftype="hidden"),
        field("my_nonce", [b64(n_a)], ftype="hidden"),
        field("sas_algs", ["sas28x5"], ftype="hidden"),
        field("dhhashes", [b64(he)], ftype="hidden"),
    ])


def response_form(cipher, n_a, n_b, d, c_a):
    """form_B: Bob's response (message 2), nonce and counter appended last."""
    return "".join([
        form_type(),
        field("accept", ["1"]),
        field("otr", ["false"]),
        field("disclosure", ["never"]),
        field("security", ["e2e"]),
        field("modp", [str(MODP_GROUP)]),
        field("crypt_algs", [cipher]),
        field("hash_algs", ["sha256"]),
        field("compress", ["none"]),
        field("stanzas", ["message"]),
        field("init_pubkey", ["none"]),
        field("resp_pubkey", ["none"]),
        field("ver", ["1.0"]),
        field("rekey_freq", ["4294967295"]),
        field("my_nonce", [b64(n_b)]),
        field("sas_algs", ["sas28x5"]),
        field("dhkeys", [b64(mpi(d))]),
        field("nonce", [b64(n_a)]),
        field("counter", [b64(mpi(c_a))]),
    ])


def alice_completion_form(n_b, e, rshashes):
    """form_A2: Alice's message 3 without `identity` and `mac`."""
    return "".join([
        form_type(),
        field("accept", ["1"]),
        field("nonce", [b64(n_b)]),
        field("dhkeys", [b64(mpi(e))], ftype="hidden"),
        field("rshashes", [b64(h) for h in rshashes], ftype="hidden"),
    ])


def bob_completion_form(n_a, srshash):
    """form_B2: Bob's message 4 without `identity` and `mac`."""
    return form_type() + field("nonce", [b64(n_a)]) + field("srshash", [b64(srshash)])


# --- the key schedule -------------------------------------------------------------------------------------

KEY_LABELS = {
    "KC_A": b"Initiator Cipher Key", "KM_A": b"Initiator MAC Key", "KS_A": b"Initiator SIGMA Key",
    "KC_B": b"Responder Cipher Key", "KM_B": b"Responder MAC Key", "KS_B": b"Responder SIGMA Key",
}
MAC_KEY_LENGTH = 32  # KM/KS: the whole HMAC output (XEP-0116); KC: the least significant (last) bytes


def keys_from(k, cipher_key_length):
    out = {}
    for name, label in KEY_LABELS.items():
        full = hmac_sha256(k, label)
        out[name] = full[-(cipher_key_length if name.startswith("KC") else MAC_KEY_LENGTH):]
    return out


def seal(kc, km, counter, plaintext):
    """ID = AES-CTR(KC, C, plaintext), M = HMAC(KM, MPI(C) | ID); returns (ID, M, C after)."""
    identity = aes_ctr(kc, counter.to_bytes(16, "big"), plaintext)
    tag = hmac_sha256(km, mpi(counter) + identity)
    blocks = (len(plaintext) + 15) // 16
    return identity, tag, (counter + blocks) % 2**128


def sas_value(m_a, form_b):
    return int.from_bytes(sha256(m_a + form_b + b"Short Authentication String")[-3:], "big")


COMMITTED_SAS_LABEL = b"Sotto committed SAS 1"


def committed_sas_value(k0, n_a, n_b, form_a, form_b, r_b):
    """Sotto's committed SAS (docs/PROTOCOL-NOTES.md): the last 24 bits of HMAC(K0, label | each of N_A, N_B,
    form_A, form_B, r_B with its length in front as 4 big-endian octets). r_B is the responder's secret,
    committed as SHA256(r_B) in message 2 and opened in message 4; nothing else from messages 3 and 4."""
    data = COMMITTED_SAS_LABEL
    for part in (n_a, n_b, form_a, form_b, r_b):
        data += len(part).to_bytes(4, "big") + part
    return int.from_bytes(hmac_sha256(k0, data)[-3:], "big")


def sas_string(value):
    digits = []
    for _ in range(5):
        value, digit = divmod(value, 28)
        digits.append(SAS_ALPHABET[digit])
    assert value == 0
    return "".join(reversed(digits))


def run_case(name, cipher, x, y, n_a, n_b, c_a, rs, oss=b"", pubkeys=None, search=None):
    cipher_key_length = {"aes128-ctr": 16, "aes256-ctr": 32}[cipher]
    cipher_options = ["aes128-ctr"] if cipher == "aes128-ctr" else ["aes256-ctr", "aes128-ctr"]
    e, d = pow(G, x, P), pow(G, y, P)
    assert 1 < e < P - 1 and 1 < d < P - 1
    shared = pow(d, x, P)
    assert shared == pow(e, y, P)
    he = sha256(mpi(e))
    k0 = sha256(mpi(shared))
    k_dh_only = sha256(k0)
    k = sha256(k0 + (rs or b"") + oss)
    provisory = keys_from(k0, cipher_key_length)
    final = keys_from(k, cipher_key_length)
    c_b = c_a ^ (1 << 127)

    rshash = hmac_sha256(n_a, rs) if rs else None
    fillers = [label_bytes(f"{name}/rshashes-filler/{i}", 32) for i in range(2)]
    rshashes = [fillers[0], rshash, fillers[1]] if rs else fillers
    srshash = hmac_sha256(rs, b"Shared Retained Secret") if rs else label_bytes(f"{name}/srshash-random", 32)

    form_a = request_form(cipher_options, n_a, he).encode()
    form_b = response_form(cipher, n_a, n_b, d, c_a).encode()
    form_a2 = alice_completion_form(n_b, e, rshashes).encode()
    form_b2 = bob_completion_form(n_a, srshash).encode()

    mac_a = hmac_sha256(provisory["KS_A"], n_b + n_a + mpi(e) + form_a + form_a2)
    id_a, m_a, c_a_after = seal(provisory["KC_A"], provisory["KM_A"], c_a, mac_a)
    mac_b = hmac_sha256(final["KS_B"], n_a + n_b + mpi(d) + form_b + form_b2)
    id_b, m_b, c_b_after = seal(final["KC_B"], final["KM_B"], c_b, mac_b)
    sas = sas_value(m_a, form_b)
    r_b = label_bytes(f"{name}/r_B", 32)
    committed = committed_sas_value(k0, n_a, n_b, form_a, form_b, r_b)

    inputs = {
        "x": mpi(x).hex(), "y": mpi(y).hex(),
        "N_A": n_a.hex(), "N_B": n_b.hex(),
        "C_A": c_a.to_bytes(16, "big").hex(),
        "form_A": form_a.decode(), "form_B": form_b.decode(),
        "form_A2": form_a2.decode(), "form_B2": form_b2.decode(),
        "r_B": r_b.hex(),
    }
    if rs:
        inputs["RS"] = rs.hex()
    if oss:
        inputs["OSS"] = oss.hex()
    outputs = {
        "e": mpi(e).hex(), "d": mpi(d).hex(), "He": he.hex(),
        "shared_secret": mpi(shared).hex(),
        "K0": k0.hex(), "K_dh_only": k_dh_only.hex(), "K": k.hex(),
        "provisory_keys": {n: v.hex() for n, v in provisory.items()},
        "final_keys": {n: v.hex() for n, v in final.items()},
        "C_B": c_b.to_bytes(16, "big").hex(),
        "mac_A": mac_a.hex(), "ID_A": id_a.hex(), "M_A": m_a.hex(),
        "C_A_after": c_a_after.to_bytes(16, "big").hex(),
        "mac_B": mac_b.hex(), "ID_B": id_b.hex(), "M_B": m_b.hex(),
        "C_B_after": c_b_after.to_bytes(16, "big").hex(),
        "srshash": srshash.hex() if rs else None,
        "rshash": rshash.hex() if rs else None,
        "RS_new": hmac_sha256(k, b"New Retained Secret").hex(),
        "sas_value": sas, "sas": sas_string(sas),
        "committed_sas_value": committed, "committed_sas": sas_string(committed),
        "sas_commitment": sha256(r_b).hex(),
    }
    outputs = {n: v for n, v in outputs.items() if v is not None}
    if pubkeys:
        # XEP-0116 with public keys: pubKey goes between the DH value and the first form.
        pub_a, pub_b = pubkeys
        inputs["pubKey_A"], inputs["pubKey_B"] = pub_a, pub_b
        outputs["mac_A_with_pubKey"] = hmac_sha256(
            provisory["KS_A"], n_b + n_a + mpi(e) + pub_a.encode() + form_a + form_a2).hex()
        outputs["mac_B_with_pubKey"] = hmac_sha256(
            final["KS_B"], n_a + n_b + mpi(d) + pub_b.encode() + form_b + form_b2).hex()
    case = {"name": name, "cipher": cipher, "modp": MODP_GROUP}
    if search:
        case["search"] = search
    case["inputs"] = inputs
    case["outputs"] = outputs
    return case


def case_aes128():
    """XEP-0217 as specified: aes128-ctr, with a retained secret. The counter C_A has a zero top octet
    (so MPI(C_A) is 15 octets in M_A and in the `counter` field), and y is searched so that g^xy mod p has
    a zero top octet too (its MPI, hashed into K0, is shorter than p)."""
    name = "aes128-ctr"
    x = exponent(f"{name}/x")
    e = pow(G, x, P)

    def y_of(i):
        return exponent(f"{name}/y/{i}")

    y_index = first_index(lambda i: pow(e, y_of(i), P).bit_length() <= 2040)
    c_a = int.from_bytes(b"\x00" + label_bytes(f"{name}/C_A", 15), "big")
    return run_case(name, name, x, y_of(y_index), nonce(f"{name}/N_A"), nonce(f"{name}/N_B"), c_a,
                    label_bytes(f"{name}/RS", 32),
                    search={"y": f"first index i of label '{name}/y/<i>' whose g^xy mod p has a zero top octet",
                            "y_index": y_index})


def case_aes256():
    """XEP-0116 profile with aes256-ctr (32-byte KC), a retained secret and an other shared secret. x is
    searched so that e has a zero top octet (MPI(e) in He and mac_A is 255 octets). C_A ends in 64 one bits,
    so the identity's second block carries into the upper half of the counter."""
    name = "aes256-ctr"

    def x_of(i):
        return exponent(f"{name}/x/{i}")

    x_index = first_index(lambda i: pow(G, x_of(i), P).bit_length() <= 2040)
    c_a = int.from_bytes(label_bytes(f"{name}/C_A", 8) + b"\xff" * 8, "big")
    key_value = ("<KeyValue><RSAKeyValue><Modulus>{}</Modulus><Exponent>AQAB</Exponent></RSAKeyValue></KeyValue>")
    pubkeys = (key_value.format(b64(label_bytes(f"{name}/modulus-A", 64))),
               key_value.format(b64(label_bytes(f"{name}/modulus-B", 64))))
    return run_case(name, name, x_of(x_index), exponent(f"{name}/y"), nonce(f"{name}/N_A"), nonce(f"{name}/N_B"),
                    c_a, label_bytes(f"{name}/RS", 32), oss="pässword".encode("utf-8"), pubkeys=pubkeys,
                    search={"x": f"first index i of label '{name}/x/<i>' whose e = g^x mod p has a zero top octet",
                            "x_index": x_index})


def case_sas_padding():
    """aes128-ctr without a retained secret (K = SHA256(K0), random srshash), N_B searched so that the SAS
    value is below 28^4: its first digit is the padding 'a'."""
    name = "sas-padding"
    x, y = exponent(f"{name}/x"), exponent(f"{name}/y")
    n_a = nonce(f"{name}/N_A")
    c_a = int.from_bytes(label_bytes(f"{name}/C_A", 16), "big")

    def attempt(i):
        return run_case(name, "aes128-ctr", x, y, n_a, nonce(f"{name}/N_B/{i}"), c_a, None)

    index = first_index(lambda i: attempt(i)["outputs"]["sas_value"] < 28**4)
    case = attempt(index)
    search = {"N_B": f"first index i of label '{name}/N_B/<i>' whose SAS value is below 28^4", "N_B_index": index}
    return {"name": case["name"], "cipher": case["cipher"], "modp": case["modp"], "search": search,
            "inputs": case["inputs"], "outputs": case["outputs"]}


def build():
    check_prime()
    return {
        "about": "Known answers for the XEP-0217/XEP-0116 key schedule (EsessionKeys), generated by "
                 "scripts/gen-esession-vectors.py; do not edit by hand. Byte strings are lower-case hex, forms are "
                 "the normalised UTF-8 text. Counters are 16-byte big-endian blocks; MACs cover MPI(C). "
                 f"KC = last bytes of the HMAC, KM/KS = all {MAC_KEY_LENGTH} bytes. Inputs come from labels "
                 f"'{LABEL_PREFIX}<label>/<i>' through SHA-256.",
        "modp14_prime": "RFC 3526 section 3, generator 2",
        "cases": [case_aes128(), case_aes256(), case_sas_padding()],
    }


def main():
    top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(top, "tests", "data", "esession-vectors.json")
    text = json.dumps(build(), indent=2, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        with open(path, encoding="utf-8") as existing:
            same = existing.read() == text
        print(f"{path}: {'up to date' if same else 'DIFFERS'}")
        return 0 if same else 1
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as out:
        out.write(text)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
