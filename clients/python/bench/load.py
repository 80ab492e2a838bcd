"""A load client for the Python client, in fdref-client's terms (shared bench folder), for scripts/bench-python.sh.

    python3 clients/python/bench/load.py --socket PATH [--depth 1] [--duration 5] [--warmup 0]
                                         [--profile FILE] NAME...

One connection, ``--depth`` requests in flight (send / receive), every request for the same NAMEs; each reply's
descriptors are closed as it arrives, as fdref-client does. Prints one line in fdref-client's format:
``conns=1 depth= names= requests= fds= secs= req/s= fds/s= p50_us= p99_us= entry_errors= failed= cpu_us_per_fd=``
(latency: from the request's send() to its receive() returning; CPU: this process's user and system time in the
measured part, per descriptor). ``--profile FILE`` runs the measured part under
cProfile and writes its statistics there (pstats format), and the top functions by own time to stderr.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections import deque
from pathlib import Path
from typing import Deque, List

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import fdpass  # noqa: E402


def run(client: fdpass.Client, names: List[str], depth: int, seconds: float, latencies: List[int]) -> List[int]:
    """Keeps ``depth`` requests in flight for ``seconds``; returns [requests, descriptors, entry errors]."""
    counts = [0, 0, 0]
    sent: Deque[int] = deque()
    clock = time.perf_counter_ns
    end = clock() + int(seconds * 1e9)
    while True:
        now = clock()
        if now < end:
            while len(sent) < depth:
                client.send(names)
                sent.append(clock())
        elif not sent:
            return counts
        with client.receive() as reply:
            latencies.append(clock() - sent.popleft())
            counts[0] += 1
            for entry in reply:
                if entry.ok:
                    counts[1] += 1
                else:
                    counts[2] += 1


def percentile(sorted_values: List[int], p: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))] / 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--socket", required=True)
    parser.add_argument("--depth", type=int, default=1)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=0.0)
    parser.add_argument("--profile")
    parser.add_argument("names", nargs="+")
    args = parser.parse_args()
    failed = 0
    cpu = 0.0
    counts = [0, 0, 0]
    latencies: List[int] = []
    started = time.perf_counter()
    try:
        with fdpass.connect(args.socket, timeout=30) as client:
            if args.depth > client.limits.max_unanswered:
                print(f"load.py: --depth {args.depth} is over the server's maxUnanswered "
                      f"{client.limits.max_unanswered}", file=sys.stderr)
                return 2
            if args.warmup > 0:
                run(client, args.names, args.depth, args.warmup, [])
            started = time.perf_counter()
            usage = resource.getrusage(resource.RUSAGE_SELF)
            if args.profile:
                import cProfile
                import pstats
                profiler = cProfile.Profile()
                counts = profiler.runcall(run, client, args.names, args.depth, args.duration, latencies)
                profiler.dump_stats(args.profile)
                pstats.Stats(args.profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
            else:
                counts = run(client, args.names, args.depth, args.duration, latencies)
            after = resource.getrusage(resource.RUSAGE_SELF)
            cpu = after.ru_utime - usage.ru_utime + after.ru_stime - usage.ru_stime
    except fdpass.FdPassError as e:
        print(f"load.py: {e}", file=sys.stderr)
        failed = 1
    secs = time.perf_counter() - started
    latencies.sort()
    print(f"conns=1 depth={args.depth} names={len(args.names)} requests={counts[0]} fds={counts[1]} secs={secs:.3f} "
          f"req/s={counts[0] / secs:.1f} fds/s={counts[1] / secs:.1f} p50_us={percentile(latencies, 0.5):.1f} "
          f"p99_us={percentile(latencies, 0.99):.1f} entry_errors={counts[2]} failed={failed} "
          f"cpu_us_per_fd={cpu * 1e6 / max(counts[1], 1):.2f}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
