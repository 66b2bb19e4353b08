#!/usr/bin/env python3
"""Pulls a result of the legacy real-name protocol (seed 003) and decrypts its `data`, as an
integrator's backend does: POST /new/cgi-bin/getdetectinfo.php with the `signature` header,
then AES-256-CBC with key SHA-256(secret key) and the IV in front (docs/legacy.md).

  legacy_decrypt.py --url http://127.0.0.1:8080 --appid TIDA.. --secret KEY \
      --signature SIG --token TOKEN [--info-type 0|1]

Prints one JSON line: the reply, with `data` replaced by the decrypted document when the
pull succeeded. Uses the standard library and pycryptodome.
"""
import argparse
import base64
import hashlib
import json
import urllib.request

from Crypto.Cipher import AES


def decrypt_data(data: str, secret_key: str) -> dict:
    raw = base64.b64decode(data)
    key = hashlib.sha256(secret_key.encode()).digest()
    plain = AES.new(key, AES.MODE_CBC, raw[:16]).decrypt(raw[16:])
    return json.loads(plain[: -plain[-1]].decode("utf-8"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--url", required=True)
    ap.add_argument("--appid", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--signature", required=True)
    ap.add_argument("--token", required=True)
    ap.add_argument("--info-type", type=int, default=None)
    a = ap.parse_args()
    body = {"token": a.token, "appid": a.appid}
    if a.info_type is not None:
        body["info_type"] = a.info_type
    request = urllib.request.Request(
        a.url.rstrip("/") + "/new/cgi-bin/getdetectinfo.php",
        data=json.dumps(body).encode(),
        headers={"signature": a.signature, "Content-Type": "application/json"},
        method="POST",
    )
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(request) as response:
        reply = json.loads(response.read())
    if reply.get("errorcode") == 0:
        reply["data"] = decrypt_data(reply["data"], a.secret)
    print(json.dumps(reply, ensure_ascii=False))


if __name__ == "__main__":
    main()
