#!/usr/bin/env python3
"""The real side of `npm run differential:record` (scripts/differential.ts): run op scripts between
two TCP sockets over lo on this machine's kernel and print what each call returned and, after a
settle time, each socket's SIOCINQ, SIOCOUTQ and tcpi_state.

Input (stdin, JSON): [{"ops": [[op, side, n?], ...], "settle": seconds, "sysctl"?: {name: [3 ints]}}, ...],
side 0 = the client,
1 = the accepted socket, op one of w (write n bytes), r (read up to n), shut (shutdown SHUT_WR),
nodelay (TCP_NODELAY 1), close. Both sockets are non-blocking and use cubic; SIGPIPE is ignored
(a write after a RST returns EPIPE). Output (stdout, JSON): per script, per op
[result, client snapshot, server snapshot]; a result is a count, 0, "E<ERRNO>" or "closed" (the
fd was closed by an earlier op); a snapshot is [inq, outq, state] or null once closed.
Run it in a network namespace of its own (the caller uses `unshare -n`).
"""
import errno, fcntl, json, os, signal, socket, struct, sys, termios, time

SIOCOUTQ = termios.TIOCOUTQ
signal.signal(signal.SIGPIPE, signal.SIG_IGN)


def ioctl_int(s, req):
    return struct.unpack('i', fcntl.ioctl(s, req, b'\0\0\0\0'))[0]


def snap(s):
    if s is None:
        return None
    return [ioctl_int(s, termios.FIONREAD), ioctl_int(s, SIOCOUTQ), s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]]


DEFAULTS = {}


def set_sysctls(sysctl):
    # per network namespace on 6.x: each script sets its own, the others get the namespace's defaults back
    for name in ('net.ipv4.tcp_rmem', 'net.ipv4.tcp_wmem'):
        path = '/proc/sys/' + name.replace('.', '/')
        if name not in DEFAULTS:
            DEFAULTS[name] = open(path).read().split()
        with open(path, 'w') as f:
            f.write(' '.join(str(v) for v in sysctl.get(name, DEFAULTS[name])))


def run(ops, settle, port):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(('127.0.0.1', port))
    listener.listen(1)
    client = socket.socket()
    client.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')
    client.connect(('127.0.0.1', port))
    server, _ = listener.accept()
    server.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, b'cubic')
    listener.close()
    socks = [client, server]
    for s in socks:
        s.setblocking(False)
    data = b'x' * max([op[2] for op in ops if op[0] == 'w'] + [1])
    out = []
    for op in ops:
        kind, side = op[0], op[1]
        s = socks[side]
        try:
            if s is None:
                r = 'closed'
            elif kind == 'w':
                r = os.write(s.fileno(), data[:op[2]])
            elif kind == 'r':
                r = len(os.read(s.fileno(), op[2]))
            elif kind == 'shut':
                s.shutdown(socket.SHUT_WR)
                r = 0
            elif kind == 'nodelay':
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                r = 0
            elif kind == 'close':
                s.close()
                socks[side] = None
                r = 0
            else:
                raise SystemExit('unknown op %r' % (op,))
        except OSError as e:
            r = 'E' + errno.errorcode[e.errno]
        time.sleep(settle)
        out.append([r, snap(socks[0]), snap(socks[1])])
    for s in socks:
        if s is not None:
            s.close()
    return out


def main():
    scripts = json.load(sys.stdin)
    # each script on a port of its own: nothing left of the last one (TIME_WAIT, orphans) meets it
    out = []
    for i, c in enumerate(scripts):
        set_sysctls(c.get('sysctl', {}))
        out.append(run(c['ops'], c['settle'], 20000 + i))
    json.dump(out, sys.stdout)


main()
