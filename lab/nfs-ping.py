#!/usr/bin/python3
"""Round-trip time of real NFS calls: NFSv3 NULL procedure calls over one TCP connection.

The lab's delaying relay (nfs-relay.py) delays data, not the TCP handshake, so a
connect time would not see the added latency; an RPC call does, exactly as QEMU's NFS
client sees it. Prints one line per call and a summary in ping's style:

    [1764118000.123456] nfs NULL from 192.0.2.5:2049: xid=1 time=10.412 ms
    --- 192.0.2.5:2049 nfs NULL statistics ---
    10 calls, 10 replies, connect 0.311 ms
    rtt min/avg/max/mdev = 10.201/10.412/10.733/0.150 ms

Usage: nfs-ping.py [-c COUNT] [-i INTERVAL_S] [-p PORT] [-W TIMEOUT_S] HOST
Exit status 0 if every call got an accepted reply. Python 3 standard library only.
"""
import argparse
import socket
import struct
import sys
import time

NFS_PROGRAM, NFS_V3, NULLPROC = 100003, 3, 0


def call(sock, xid):
    # ONC RPC call (RFC 5531): xid, CALL, rpcvers 2, prog, vers, proc, AUTH_NONE cred + verf
    body = struct.pack(">IIIIIIIIII", xid, 0, 2, NFS_PROGRAM, NFS_V3, NULLPROC, 0, 0, 0, 0)
    sock.sendall(struct.pack(">I", 0x80000000 | len(body)) + body)
    data = b""
    last = False
    while not last:  # record marking: fragments until the last-fragment bit
        hdr = recv_exact(sock, 4)
        (mark,) = struct.unpack(">I", hdr)
        last = bool(mark & 0x80000000)
        data += recv_exact(sock, mark & 0x7FFFFFFF)
    rxid, mtype, reply_stat = struct.unpack(">III", data[:12])
    if rxid != xid or mtype != 1 or reply_stat != 0:
        raise OSError(f"bad reply: xid={rxid} type={mtype} reply_stat={reply_stat}")
    # accepted reply: verifier (flavour, length, body), then accept_stat
    (vlen,) = struct.unpack(">I", data[16:20])
    off = 20 + ((vlen + 3) & ~3)
    (accept,) = struct.unpack(">I", data[off:off + 4])
    if accept != 0:
        raise OSError(f"call not accepted: accept_stat={accept}")


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("connection closed by the server")
        buf += chunk
    return buf


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("host")
    ap.add_argument("-c", type=int, default=10, dest="count")
    ap.add_argument("-i", type=float, default=0.2, dest="interval")
    ap.add_argument("-p", type=int, default=2049, dest="port")
    ap.add_argument("-W", type=float, default=5.0, dest="timeout")
    a = ap.parse_args()
    where = f"{a.host}:{a.port}"
    t0 = time.perf_counter()
    try:
        sock = socket.create_connection((a.host, a.port), timeout=a.timeout)
    except OSError as e:
        print(f"nfs-ping: connect {where}: {e}", file=sys.stderr)
        return 2
    connect_ms = (time.perf_counter() - t0) * 1000
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    rtts = []
    for xid in range(1, a.count + 1):
        if xid > 1:
            time.sleep(a.interval)
        t = time.perf_counter()
        stamp = time.time()
        try:
            call(sock, xid)
        except OSError as e:
            print(f"[{stamp:.6f}] nfs NULL from {where}: xid={xid} error: {e}", flush=True)
            break
        ms = (time.perf_counter() - t) * 1000
        rtts.append(ms)
        print(f"[{stamp:.6f}] nfs NULL from {where}: xid={xid} time={ms:.3f} ms", flush=True)
    sock.close()
    print(f"--- {where} nfs NULL statistics ---")
    print(f"{a.count} calls, {len(rtts)} replies, connect {connect_ms:.3f} ms")
    if rtts:
        avg = sum(rtts) / len(rtts)
        mdev = (sum((r - avg) ** 2 for r in rtts) / len(rtts)) ** 0.5
        print(f"rtt min/avg/max/mdev = {min(rtts):.3f}/{avg:.3f}/{max(rtts):.3f}/{mdev:.3f} ms")
    return 0 if len(rtts) == a.count else 1


if __name__ == "__main__":
    sys.exit(main())
