#!/usr/bin/env python3
"""Calls one faceid 2018-03-01 action through the OFFICIAL Tencent Cloud Python SDK.

Used by heshen's integration tests (crates/heshen/tests/official_clients.rs).
Only the standard library and tencentcloud-sdk-python-{common,faceid} are used.

  py_client.py --endpoint 127.0.0.1:8080 --secret-id AKID.. --secret-key KEY.. \
      [--sign-method TC3-HMAC-SHA256|HmacSHA256|HmacSHA1] [--req-method POST|GET] \
      [--time-offset SECONDS] [--nonce N] ACTION '{"RuleId": "1"}'

Prints exactly one JSON line: the action's Response object (RequestId included), or
{"error": {"code": ..., "message": ..., "requestId": ...}}. Exit status 0 either way;
2 when the SDK is missing or the arguments are wrong.
"""
import argparse
import json
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--endpoint", required=True, help="host:port, no scheme")
    ap.add_argument("--secret-id", required=True)
    ap.add_argument("--secret-key", required=True)
    ap.add_argument("--sign-method", default="TC3-HMAC-SHA256",
                    choices=["TC3-HMAC-SHA256", "HmacSHA256", "HmacSHA1"])
    ap.add_argument("--req-method", default="POST", choices=["POST", "GET"])
    ap.add_argument("--region", default="ap-guangzhou")
    ap.add_argument("--time-offset", type=int, default=0,
                    help="seconds added to the clock the SDK signs with (stale signatures)")
    ap.add_argument("--nonce", type=int, default=None,
                    help="force the v1 Nonce (replay tests)")
    ap.add_argument("--at", type=int, default=None,
                    help="sign at this Unix time (replay tests: the same request again)")
    ap.add_argument("action")
    ap.add_argument("fields", nargs="?", default="{}")
    a = ap.parse_args()

    try:
        from tencentcloud.common import credential
        from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
        from tencentcloud.common.profile.client_profile import ClientProfile
        from tencentcloud.common.profile.http_profile import HttpProfile
        from tencentcloud.faceid.v20180301 import faceid_client, models
    except ImportError as e:
        print(json.dumps({"fatal": "tencentcloud SDK not installed (%s); run scripts/setup-test-deps.sh" % e}))
        return 2

    if a.time_offset:
        real_time = time.time
        time.time = lambda: real_time() + a.time_offset
    if a.at is not None:
        time.time = lambda: float(a.at)
    if a.nonce is not None:
        import random
        random.randint = lambda lo, hi: a.nonce

    fields = json.loads(a.fields)
    cred = credential.Credential(a.secret_id, a.secret_key)
    http_profile = HttpProfile(protocol="http", endpoint=a.endpoint, reqMethod=a.req_method, reqTimeout=30)
    client_profile = ClientProfile(signMethod=a.sign_method, httpProfile=http_profile)
    client = faceid_client.FaceidClient(cred, a.region, client_profile)

    try:
        method = getattr(client, a.action, None)
        request_type = getattr(models, a.action + "Request", None)
        if callable(method) and request_type is not None:
            req = request_type()
            req.from_json_string(json.dumps(fields))
            resp = method(req)
            out = json.loads(resp.to_json_string())
        else:
            # Actions the SDK does not know: its generic JSON entry point.
            out = client.call_json(a.action, fields)["Response"]
    except TencentCloudSDKException as e:
        out = {"error": {"code": e.get_code(), "message": e.get_message(), "requestId": e.get_request_id()}}
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
