#!/usr/bin/env python3
"""Sample QEMU's migration state straight from a QMP socket of the guest's QEMU.

usage: qmp-poll.py SOCKET PERIOD_S STOP_FILE
       qmp-poll.py SOCKET --once COMMAND

Every PERIOD_S seconds, until STOP_FILE exists or QEMU closes the socket, sends
query-migrate and prints one line: the unix time the query was sent, a space, and
QEMU's reply as QEMU wrote it (the query-migrate format lab/record.sh has always
written). Events QEMU sends in between are skipped. The first time the job is
active it also asks query-migrate-parameters, and writes the reply to standard error
after 'migrate-parameters during the job: ' (QEMU serves one client at a time on the
socket, so nothing else can ask while this runs). With --once COMMAND, sends that one
command (e.g. query-status) and prints the reply alone.

The socket is a second QMP monitor the lab's domain definition gives QEMU
(lab/lib.sh). Asking QEMU there takes none of libvirt's domain job locks, which a
query through libvirt (virsh domjobinfo, qemu-monitor-command) holds and which
libvirt's own migration steps at the switchover must wait for.
"""

import json
import os
import socket
import sys
import time


def connect(path, wait_s=5.0):
    deadline = time.monotonic() + wait_s
    while True:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(path)
            return s
        except OSError:
            s.close()
            if time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


class Qmp:
    def __init__(self, path):
        self.sock = connect(path)
        self.buf = b""
        self.line()  # the greeting
        self.call('{"execute":"qmp_capabilities"}')

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("QEMU closed the socket")
            self.buf += chunk
        raw, self.buf = self.buf.split(b"\n", 1)
        return raw.decode("utf-8", "replace").rstrip("\r")

    def call(self, command):
        self.sock.sendall(command.encode() + b"\n")
        while True:
            raw = self.line()
            try:
                msg = json.loads(raw)
            except ValueError:
                continue
            if "return" in msg or "error" in msg:
                return raw


def main(argv):
    once = len(argv) == 4 and argv[2] == "--once"
    if len(argv) != 4:
        sys.stderr.write(__doc__)
        return 2
    path = argv[1]
    try:
        qmp = Qmp(path)
    except (OSError, EOFError) as e:
        sys.stderr.write(f"qmp-poll: {path}: {e}\n")
        return 1
    if once:
        print(qmp.call(json.dumps({"execute": argv[3]})), flush=True)
        return 0
    period, stop = float(argv[2]), argv[3]
    query = '{"execute":"query-migrate"}'
    asked_parameters = False
    while not os.path.exists(stop):
        t0 = time.time()
        try:
            reply = qmp.call(query)
            print(f"{t0:.9f} {reply}", flush=True)
            if not asked_parameters and json.loads(reply).get("return", {}).get("status") == "active":
                asked_parameters = True
                params = qmp.call('{"execute":"query-migrate-parameters"}')
                sys.stderr.write(f"migrate-parameters during the job: {params}\n")
                sys.stderr.flush()
        except (OSError, EOFError):
            break  # QEMU ended (the source quits after a completed migration)
        time.sleep(max(0.01, t0 + period - time.time()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
