#!/usr/bin/python3
"""Delaying TCP relay of the migbench lab: adds latency between the hosts and the NFS
server, since this kernel has no netem.

Listens on the given ports of its own address and forwards each connection to the
same port of the upstream server. Every chunk read in either direction is delivered
after half the added round-trip time, in order, with the stream still pipelined (a
delay line, not a stop-and-wait), so the added RTT is `delay` and throughput is kept.

The added RTT is re-read from a file (milliseconds, float) at most every 0.2 s, so a
run can change it without breaking QEMU's open NFS connections:
    echo 5 > $LAB/nr/delay_ms

Usage: nfs-relay.py --upstream 192.0.2.4 --ports 111,2049,20048 --delay-file FILE
Python 3 standard library only. Stops on SIGTERM/SIGINT.
"""
import argparse
import asyncio
import os
import signal
import sys
import time

CHUNK = 256 * 1024


class Delay:
    """Current added RTT in seconds, read from a file (missing/bad file: 0)."""

    def __init__(self, path):
        self.path = path
        self.value = 0.0
        self.checked = 0.0
        self.mtime = None

    def get(self):
        now = time.monotonic()
        if self.path and now - self.checked > 0.2:
            self.checked = now
            try:
                st = os.stat(self.path)
                if st.st_mtime != self.mtime:
                    self.mtime = st.st_mtime
                    with open(self.path) as f:
                        self.value = max(0.0, float(f.read().strip() or 0)) / 1000.0
            except (OSError, ValueError):
                self.value = 0.0
        return self.value


async def pump(reader, writer, delay, stats, key):
    """Copy reader -> writer, each chunk delivered delay/2 after it was read."""
    queue = asyncio.Queue()

    async def deliver():
        while True:
            item = await queue.get()
            if item is None:
                break
            due, data = item
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        try:
            writer.write_eof()
        except (OSError, RuntimeError):
            pass

    task = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(CHUNK)
            if not data:
                break
            stats[key] += len(data)
            await queue.put((time.monotonic() + delay.get() / 2.0, data))
            # backpressure: do not buffer more than ~64 chunks
            while queue.qsize() > 64:
                await asyncio.sleep(0.001)
    except (ConnectionError, OSError):
        pass
    await queue.put(None)
    try:
        await task
    except (ConnectionError, OSError):
        pass


async def handle(cr, cw, upstream, port, delay, stats):
    peer = cw.get_extra_info("peername")
    try:
        ur, uw = await asyncio.wait_for(asyncio.open_connection(upstream, port), 5)
    except (OSError, asyncio.TimeoutError) as e:
        print(f"relay: {peer} -> {upstream}:{port}: {e}", file=sys.stderr, flush=True)
        cw.close()
        return
    print(f"relay: {peer[0]}:{peer[1]} -> {upstream}:{port}", file=sys.stderr, flush=True)
    await asyncio.gather(pump(cr, uw, delay, stats, "up"), pump(ur, cw, delay, stats, "down"))
    for w in (cw, uw):
        try:
            w.close()
        except OSError:
            pass


async def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--listen", default="0.0.0.0")
    ap.add_argument("--upstream", required=True)
    ap.add_argument("--ports", default="111,2049,20048")
    ap.add_argument("--delay-file", default="")
    a = ap.parse_args()
    delay = Delay(a.delay_file)
    stats = {"up": 0, "down": 0}
    servers = []
    for p in (int(x) for x in a.ports.split(",")):
        servers.append(await asyncio.start_server(
            lambda r, w, p=p: handle(r, w, a.upstream, p, delay, stats), a.listen, p,
            reuse_address=True))
    print(f"relay: listening on {a.listen}:{a.ports} -> {a.upstream}, delay file {a.delay_file!r}",
          file=sys.stderr, flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for s in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(s, stop.set)
    await stop.wait()
    for s in servers:
        s.close()
    print(f"relay: stopping, bytes up={stats['up']} down={stats['down']}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    asyncio.run(main())
