#!/usr/bin/env python3
"""Measure request/response round trips over loopback TCP and write them as a CSV.

This is how `data/loopback_rtt_us.csv` was made: a real, small, heavy-tailed latency sample
for `Dist::empirical_from_csv`. A server thread echoes 64-byte requests over one TCP connection
on 127.0.0.1; the client times each round trip with `time.perf_counter_ns`. Nothing leaves the
machine. Usage:

    python3 tools/measure_loopback_rtt.py data/loopback_rtt_us.csv [samples]
"""
import datetime
import os
import platform
import socket
import sys
import threading
import time

PAYLOAD = b"x" * 64
WARMUP = 200


def serve(listener):
    conn, _ = listener.accept()
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    with conn:
        while True:
            data = conn.recv(len(PAYLOAD), socket.MSG_WAITALL)
            if not data:
                return
            conn.sendall(data)


def measure(samples):
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    threading.Thread(target=serve, args=(listener,), daemon=True).start()
    client = socket.create_connection(listener.getsockname())
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rtts = []
    with client:
        for i in range(WARMUP + samples):
            t0 = time.perf_counter_ns()
            client.sendall(PAYLOAD)
            got = client.recv(len(PAYLOAD), socket.MSG_WAITALL)
            t1 = time.perf_counter_ns()
            if got != PAYLOAD:
                raise SystemExit("echo mismatch")
            if i >= WARMUP:
                rtts.append((t1 - t0) / 1000.0)
    listener.close()
    return rtts


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    out, samples = argv[1], int(argv[2]) if len(argv) == 3 else 5000
    rtts = measure(samples)
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    with open(out, "w", encoding="utf-8") as f:
        f.write("# Loopback TCP request/response round trips (64-byte echo), microseconds.\n")
        f.write(f"# Measured {now} by tools/measure_loopback_rtt.py on {platform.machine()}, "
                f"{os.cpu_count()} CPUs, Linux {platform.release()}, Python {platform.python_version()}.\n")
        f.write("# See data/README.md.\n")
        f.write("rtt_us\n")
        for r in rtts:
            f.write(f"{r:.3f}\n")
    rtts.sort()
    q = lambda p: rtts[min(len(rtts) - 1, int(p * len(rtts)))]
    print(f"{len(rtts)} samples: median {q(0.5):.1f} µs, p99 {q(0.99):.1f} µs, max {rtts[-1]:.1f} µs -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
