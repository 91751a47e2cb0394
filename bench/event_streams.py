#!/usr/bin/env python3
"""Holds N `GET /events` streams open on one server and reads them (bytes
discarded), until stdin closes; then prints how many were dropped by the
server (a last `dropped` event) and how many bytes each read on average.

    event_streams.py HOST PORT N
"""
import selectors
import socket
import sys

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
sel = selectors.DefaultSelector()
streams = {}
for i in range(n):
    s = socket.create_connection((host, port))
    s.sendall(b"GET /events HTTP/1.1\r\nHost: bench\r\n\r\n")
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ, i)
    streams[i] = {"bytes": 0, "dropped": False, "tail": b""}
sel.register(sys.stdin, selectors.EVENT_READ, "stdin")
print(f"{n} streams open", flush=True)
open_streams = n
while True:
    for key, _ in sel.select():
        if key.data == "stdin":
            if not sys.stdin.readline():
                total = sum(s["bytes"] for s in streams.values())
                dropped = sum(1 for s in streams.values() if s["dropped"])
                print(f"streams={n} dropped={dropped} still_open={open_streams} "
                      f"mean_bytes={total // max(1, n)}", flush=True)
                sys.exit(0)
            continue
        st = streams[key.data]
        try:
            data = key.fileobj.recv(1 << 16)
        except (ConnectionError, BlockingIOError):
            data = b""
        if not data:
            sel.unregister(key.fileobj)
            key.fileobj.close()
            open_streams -= 1
            continue
        st["bytes"] += len(data)
        if b"event: dropped" in st["tail"] + data:
            st["dropped"] = True
        st["tail"] = data[-32:]
