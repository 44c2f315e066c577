#!/usr/bin/env python3
"""Adds the seed inputs of the fuzz targets to fuzz/corpus/<target>/ from the repository's
fixtures (pending transactions of the recorded runs, legacy wallet files, wallet plaintexts)
plus a few hand-written transactions for chains without recorded runs, and v2 files built with
the test KDF. Files are named by their SHA-1, so running it again adds nothing new.

Run from the repository root: python3 fuzz/seeds.py
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "fuzz", "corpus")
PASSWORD = "fuzz-password"  # fuzz/src/lib.rs PASSWORD

# Target -> its chain list, in the order of fuzz_targets/sign_<name>.rs.
SIGN = {
    "sign_utxo": ["BTC", "LTC", "DOGE"],
    "sign_bch": ["BCH"],
    "sign_evm": ["ETH", "BSC", "MATIC", "CELO", "KLAY", "XDC", "ONE", "KCS", "VET"],
    "sign_tron": ["TRON"],
    "sign_sol": ["SOL"],
    "sign_xrp": ["XRP"],
    "sign_xlm": ["XLM"],
    "sign_algo": ["ALGO"],
    "sign_egld": ["EGLD"],
    "sign_ada": ["ADA"],
    "sign_flow": ["FLOW"],
}

BCH_UNSIGNED = (
    "020000000133333333333333333333333333333333333333333333333333333333333333330000000000"
    "ffffffff01905f0100000000001976a914d7a392c96ff17d9a75b48d44b4441a5d8ce74b3d88ac00000000"
)
EGLD_TO = "erd10nm8ae5qhpvnnl9tk67yqs2jyakafwcuqs4pmwwcdsqaxphad6dqar6u93"
HAND_WRITTEN = {
    "BCH": [BCH_UNSIGNED + ":[100000]"],
    "EGLD": [
        json.dumps({"to": EGLD_TO, "value": "0.5", "data": "hello", "gasPrice": 1000000000, "gasLimit": 70000}),
        json.dumps({"to": EGLD_TO, "value": "1"}),
    ],
    "ADA": [json.dumps([
        {"operation_identifier": {"index": 0}, "type": "input", "status": "",
         "account": {"address": "addr_test1vsender"},
         "amount": {"value": "-10000000", "currency": {"symbol": "ADA", "decimals": 6}},
         "coin_change": {"coin_identifier": {"identifier": "ab:0"}, "coin_action": "coin_spent"}},
        {"operation_identifier": {"index": 1}, "type": "output", "status": "",
         "account": {"address": "addr_test1vreceiver"},
         "amount": {"value": "3000000", "currency": {"symbol": "ADA", "decimals": 6}}},
    ])],
    "FLOW": [
        json.dumps({"type": 2, "body": {"account": "0x955cd3f17b2fd8ad", "to": "0x1234567890abcdef", "amount": "1.5", "currency": "FLOW"}}),
        json.dumps({"type": 0, "body": {"account": "0x955cd3f17b2fd8ad", "publicKey": "ab" * 64}}),
    ],
}


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def documents(path):
    try:
        text = open(path, encoding="utf-8").read()
    except (UnicodeDecodeError, OSError):
        return []
    try:
        return [json.loads(text)]
    except ValueError:
        docs = []
        for line in text.splitlines():
            try:
                docs.append(json.loads(line))
            except ValueError:
                pass
        return docs


def pendings(value, found):
    if isinstance(value, dict):
        if isinstance(value.get("serializedTransaction"), str) and isinstance(value.get("chain"), str):
            found.append(value)
        for v in value.values():
            pendings(v, found)
    elif isinstance(value, list):
        for v in value:
            pendings(v, found)


def main():
    fixtures = glob.glob(os.path.join(ROOT, "crates/*/tests/fixtures/**/*.json*"), recursive=True)
    found = []
    for path in fixtures:
        for doc in documents(path):
            pendings(doc, found)
    by_chain = {}
    for p in found:
        write("pending_tx", json.dumps(p))
        by_chain.setdefault(p["chain"], set()).add(p["serializedTransaction"])
    write("pending_tx", json.dumps(found[:3]))
    for chain, txs in HAND_WRITTEN.items():
        by_chain.setdefault(chain, set()).update(txs)
    for target, chains in SIGN.items():
        for i, chain in enumerate(chains):
            for tx in sorted(by_chain.get(chain, ())):
                # Mode byte: chain index << 2 | testnet (1) | failing node (2).
                for mode in (i << 2 | 1, i << 2):
                    write(target, bytes([mode]) + tx.encode())
        if not os.path.isdir(os.path.join(OUT, target)):
            write(target, bytes([1]) + b"{}")

    # Legacy: the recorded wallet.dat files, plaintexts, and those plaintexts encrypted with
    # the harness password (so mutations start from something that decrypts).
    for path in glob.glob(os.path.join(ROOT, "crates/tatum-kms/tests/fixtures/walletdat/**/*"), recursive=True):
        if os.path.isfile(path) and os.path.getsize(path) <= 4096:
            write("legacy_decode", open(path, "rb").read())
    for path in glob.glob(os.path.join(ROOT, "crates/kms-chains/tests/fixtures/sign/wallet*.plaintext.json")):
        plain = json.dumps(json.load(open(path)), separators=(",", ":"))
        write("legacy_decode", plain)
        enc = subprocess.run(
            ["openssl", "enc", "-aes-256-cbc", "-md", "md5", "-a", "-A", "-pass", "pass:" + PASSWORD],
            input=plain.encode(), capture_output=True)
        if enc.returncode == 0:
            write("legacy_decode", enc.stdout.strip())

    # v2: files with 0, 1 and 3 wallets, test KDF, the harness password.
    maker = os.path.join(ROOT, "target/release/examples/make_v2_store")
    if os.path.exists(maker):
        for count in (0, 1, 3):
            tmp = os.path.join(ROOT, "fuzz", f".v2-seed-{count}.dat")
            env = dict(os.environ, TATUM_KMS_PASSWORD=PASSWORD)
            subprocess.run([maker, tmp, str(count)], env=env, check=True, capture_output=True)
            write("v2_open", open(tmp, "rb").read())
            for extra in (tmp, tmp + ".lock"):
                if os.path.exists(extra):
                    os.remove(extra)
    else:
        print("no make_v2_store example built: no v2 seeds", file=sys.stderr)
    for target in sorted(os.listdir(OUT)):
        print(f"{target}: {len(os.listdir(os.path.join(OUT, target)))} seeds")


if __name__ == "__main__":
    main()
