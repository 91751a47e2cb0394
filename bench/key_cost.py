#!/usr/bin/env python3
"""What one Idempotency-Key costs: the server's RSS and the data directory's
size before and after N keyed requests with a large body (the body is not
kept; the reply and a SHA-256 digest are).

    bench/key_cost.py [--server build/bin/fridgebank-server] [--keys 2000]
                      [--body-kib 60] [--json FILE]

Prints one line of progress per 10 % and a summary; --json writes it.
Only talks to 127.0.0.1, on a port the server picks."""
import argparse, http.client, json, os, shutil, signal, subprocess, sys, tempfile

def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")

def dir_bytes(path):
    return sum(os.path.getsize(os.path.join(path, n)) for n in os.listdir(path)
               if os.path.isfile(os.path.join(path, n)))

def start(server, data):
    p = subprocess.Popen([server, "--port", "0", "--data-dir", data, "--admin-token", "t"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("listening on http://"):
        raise RuntimeError(f"server did not start: {line!r}")
    return p, int(line.rsplit(":", 1)[1])

def post(conn, target, body, key=None):
    headers = {"Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    conn.request("POST", target, body, headers)
    r = conn.getresponse()
    return r.status, r.read()

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default="build/bin/fridgebank-server")
    ap.add_argument("--keys", type=int, default=2000)
    ap.add_argument("--body-kib", type=int, default=60)
    ap.add_argument("--json")
    a = ap.parse_args()
    data = tempfile.mkdtemp(prefix="fridgebank-keycost-")
    try:
        p, port = start(a.server, data)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        assert post(conn, "/accounts", '{"id":"k"}')[0] == 201
        # Warm up the buffers a large body needs, without a key.
        pad = "x" * (a.body_kib * 1024 - 40)
        body = '{"amount":1,"pad":"' + pad + '"}'
        for _ in range(50):
            assert post(conn, "/accounts/k/deposit", body)[0] == 200
        # The database as a clean stop leaves it (WAL checkpointed), then
        # the same server process state again before the keyed requests.
        p.send_signal(signal.SIGTERM); p.wait(timeout=30)
        disk0 = dir_bytes(data)
        p, port = start(a.server, data)
        conn = http.client.HTTPConnection("127.0.0.1", port)
        for _ in range(50):
            assert post(conn, "/accounts/k/deposit", body)[0] == 200
        rss0 = rss_kib(p.pid)
        reply_bytes = 0
        for i in range(a.keys):
            status, reply = post(conn, "/accounts/k/deposit", body, f"key-{i:08d}")
            assert status == 200, status
            reply_bytes += len(reply)
            if (i + 1) % max(1, a.keys // 10) == 0:
                print(f"  {i + 1}/{a.keys} keyed requests, RSS {rss_kib(p.pid)} KiB", file=sys.stderr)
        rss1 = rss_kib(p.pid)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=30)
        disk1 = dir_bytes(data)  # after a clean stop SQLite has checkpointed its WAL
        # A restart loads every key: the memory they take in a fresh process.
        p, port = start(a.server, data)
        rss_loaded = rss_kib(p.pid)
        p.send_signal(signal.SIGTERM); p.wait(timeout=30)
        p, port = start(a.server, tempfile.mkdtemp(dir=data))
        rss_empty = rss_kib(p.pid)
        p.send_signal(signal.SIGTERM); p.wait(timeout=30)
        n = a.keys
        result = {
            "keys": n, "body_bytes": len(body), "mean_reply_bytes": reply_bytes / n,
            "rss_growth_bytes_per_key": (rss1 - rss0) * 1024 / n,
            "rss_after_restart_bytes_per_key": (rss_loaded - rss_empty) * 1024 / n,
            "disk_bytes_per_key": (disk1 - disk0) / n,
        }
        print(json.dumps(result, indent=2))
        if a.json:
            with open(a.json, "w") as f:
                json.dump(result, f, indent=2)
    finally:
        shutil.rmtree(data, ignore_errors=True)

if __name__ == "__main__":
    main()
