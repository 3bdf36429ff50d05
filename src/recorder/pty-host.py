"""
The recorder's terminal host (started by src/recorder/record.ts as root; Debian's python3, standard
library only). It runs one real interactive bash per experiment terminal in a pseudo-terminal and
reports what happens, so a recording shows what a person at those terminals would have seen.

Setup, in this order:
  1. a NETLINK_CONNECTOR socket subscribed to the kernel's process events (fork, exec, exit with
     its wait status), opened first: the proc connector answers only the initial network and pid
     namespaces;
  2. the experiment's network namespace (setns), then new UTS, mount and pid namespaces: the
     hostname is the experiment's host, a bash can signal only the experiment's processes, and
     ps/ss -p show the namespace's pids (a step's {pid=N} pin is honoured through ns_last_pid);
  3. in the mount namespace every mount is read-only, with fresh tmpfs on /tmp, /var/tmp, /dev/shm
     and /run/lock, a new /proc and /sys, and the recorder's scratch folder bind-mounted writable
     as the home folder (the only place a program of the experiment can write to that outlives it);
  4. per terminal: a pty of the terminal's width, a session whose controlling tty it is, and
     `bash --noediting -i` as nobody (setpriv: only CAP_NET_RAW and CAP_NET_ADMIN, ambient, and
     no-new-privs) with the experiment's prompt. --noediting: the tty's line discipline echoes what
     is typed and echoes ^C ^Z ^\\ as such (readline in a pty without a real terminal type scrolls
     long lines sideways); job control is bash's own.

Protocol: one JSON object per line. In (stdin): {"op":"key"|"type", "term", "data", "id",
"guard"?, "pid"?} writes data to the terminal (for "type" with guard, only when bash is not the
terminal's foreground process group; with pid, the next pid of the namespace is set first),
{"op":"sample","ms"} dumps the namespace's TCP sockets every ms milliseconds (0: stop), {"op":"end"}
ends every process and exits; end of stdin does the same. Out (stdout):
{"e":"ready"}, {"e":"out","term","t","text"}, {"e":"typed","id","t","ok","fg"?},
{"e":"exec","t","pid","nspid","ppid","term","argv"}, {"e":"exit","t","pid","status"},
{"e":"closed","term","t"}, {"e":"sample","t","end","text"}, {"e":"lost","t"} (process events the kernel dropped). Times are
CLOCK_MONOTONIC ns, like the recorder's process.hrtime.
"""
import codecs
import ctypes
import errno
import fcntl
import json
import os
import resource
import select
import signal
import socket
import struct
import sys
import termios
import time

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.syscall.restype = ctypes.c_long

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x4000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 8, 4096, 16384, 1 << 18
NETLINK_CONNECTOR, CN_IDX_PROC, CN_VAL_PROC, PROC_CN_MCAST_LISTEN = 11, 1, 1, 1
PROC_EVENT_FORK, PROC_EVENT_EXEC, PROC_EVENT_EXIT = 0x1, 0x2, 0x80000000
SYS_MOUNT_SETATTR, AT_FDCWD, AT_RECURSIVE, MOUNT_ATTR_RDONLY = 442, -100, 0x8000, 0x1


def check(ret, what):
    if ret != 0:
        e = ctypes.get_errno()
        raise OSError(e, f'{what}: {os.strerror(e)}')


def mount(src, target, fstype, flags, data=None):
    enc = lambda s: s.encode() if s is not None else None
    check(libc.mount(enc(src), enc(target), enc(fstype), flags, enc(data)), f'mount {target}')


def emit(obj):
    sys.stdout.write(json.dumps(obj, separators=(',', ':')) + '\n')
    sys.stdout.flush()


cfg = json.loads(sys.argv[1])

# 1. process events, from the initial namespaces
nl = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, NETLINK_CONNECTOR)
nl.setsockopt(socket.SOL_SOCKET, 33, 16 << 20)  # SO_RCVBUFFORCE: the whole host's events pass here
nl.bind((os.getpid(), CN_IDX_PROC))
op = struct.pack('=I', PROC_CN_MCAST_LISTEN)
cn = struct.pack('=IIIIHH', CN_IDX_PROC, CN_VAL_PROC, 0, 0, len(op), 0) + op
nl.send(struct.pack('=IHHII', 16 + len(cn), 3, 0, 0, os.getpid()) + cn)  # NLMSG_DONE
hostproc = os.open('/proc', os.O_RDONLY | os.O_DIRECTORY)  # the host's /proc, before it is covered

# 2. namespaces
netns = os.open(f"/run/netns/{cfg['netns']}", os.O_RDONLY)
check(libc.setns(netns, CLONE_NEWNET), 'setns')
os.close(netns)
# the socket table is read from inside the namespace (a netlink socket belongs to the namespace it
# was made in)
diag = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM, 4)  # NETLINK_SOCK_DIAG
check(libc.unshare(CLONE_NEWUTS | CLONE_NEWNS | CLONE_NEWPID), 'unshare')
socket.sethostname(cfg['hostname'])

# 3. the file system as the experiment's programs see it
scratch = os.open(cfg['scratch'], os.O_PATH | os.O_DIRECTORY)
mount(None, '/', None, MS_REC | MS_PRIVATE)
attr = struct.pack('=QQQQ', MOUNT_ATTR_RDONLY, 0, 0, 0)
if libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b'/', AT_RECURSIVE, attr, len(attr)) != 0:
    raise OSError(ctypes.get_errno(), 'mount_setattr / read-only (needs Linux 5.12)')
for d in ('/tmp', '/var/tmp', '/dev/shm', '/run/lock'):
    if os.path.isdir(d):
        mount('tmpfs', d, 'tmpfs', MS_NOSUID | MS_NODEV, 'mode=1777,size=16m')
HOME = cfg['home']
os.makedirs(HOME)
mount(f'/proc/self/fd/{scratch}', HOME, None, MS_BIND)
# a bind mount copies the read-only flag of the mount it comes from: clear it on this one
attr = struct.pack('=QQQQ', 0, MOUNT_ATTR_RDONLY, 0, 0)
if libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, HOME.encode(), 0, attr, len(attr)) != 0:
    raise OSError(ctypes.get_errno(), f'mount_setattr {HOME} read-write')
mount('sysfs', '/sys', 'sysfs', MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)

# the namespace's init: its first process; it mounts the namespace's /proc and reaps orphans.
# When it dies, the kernel kills every process of the namespace.
ready_r, ready_w = os.pipe()
init = os.fork()
if init == 0:
    try:
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
        mount('proc', '/proc', 'proc', MS_NOSUID | MS_NODEV | MS_NOEXEC)
        os.write(ready_w, b'1')
        os.closerange(0, 1 << 16)
        while True:
            try:
                os.wait()
            except ChildProcessError:
                time.sleep(0.2)
    finally:
        os._exit(1)
os.close(ready_w)
if os.read(ready_r, 1) != b'1':
    raise OSError('the namespace init did not start')


def read_host(pid, name):
    try:
        fd = os.open(f'{pid}/{name}', os.O_RDONLY, dir_fd=hostproc)
        try:
            return os.read(fd, 1 << 16)
        finally:
            os.close(fd)
    except OSError:
        return None


def nspid(pid):
    st = read_host(pid, 'status')
    for line in (st or b'').decode(errors='replace').split('\n'):
        if line.startswith('NSpid:'):
            return int(line.split()[-1])
    return None


def set_next_pid(n):
    """The next process of the namespace gets pid n (unless it is taken): ns_last_pid, written
    from inside the namespace by a child that exits at once."""
    w = os.fork()
    if w == 0:
        try:
            with open('/proc/sys/kernel/ns_last_pid', 'w') as f:
                f.write(str(n - 1))
            os._exit(0)
        except BaseException:
            os._exit(1)
    os.waitpid(w, 0)


# 4. the terminals
terms = {}
for t in cfg['terminals']:
    master, slave = os.openpty()
    fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack('HHHH', t.get('rows', 24), t['cols'], 0, 0))
    pid = os.fork()
    if pid == 0:
        try:
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)
            for fd in (0, 1, 2):
                os.dup2(slave, fd)
            os.closerange(3, 1 << 16)
            os.chdir(HOME)
            resource.setrlimit(resource.RLIMIT_CORE, (0, resource.getrlimit(resource.RLIMIT_CORE)[1]))
            caps = '-all,+net_raw,+net_admin'
            env = [f'{k}={v}' for k, v in cfg['env'].items()] + [f"PS1={t['ps1']}"]
            os.execv(cfg['setpriv'], [
                'setpriv', f"--reuid={cfg['uid']}", f"--regid={cfg['gid']}", '--clear-groups',
                f'--inh-caps={caps}', f'--ambient-caps={caps}', f'--bounding-set={caps}', '--no-new-privs',
                '/usr/bin/env', '-i', *env, 'bash', '--noediting', '--norc', '--noprofile', '-i'])
        finally:
            os._exit(127)
    # the slave stays open here: its input queue tells whether typed text is still unread
    os.set_blocking(master, False)
    terms[t['name']] = {'master': master, 'slave': slave, 'bash': pid, 'dec': codecs.getincrementaldecoder('utf-8')('replace'), 'cr': False, 'open': True, 'guard': None, 'echo': '', 'echoed': False, 'seen': ''}
# which terminal each process descends from (host pid -> terminal name)
tracked = {v['bash']: k for k, v in terms.items()}
by_master = {v['master']: k for k, v in terms.items()}
bashes = {v['bash']: k for k, v in terms.items()}
emit({'e': 'ready', 'bash': {k: v['bash'] for k, v in terms.items()}})


def on_output(name, data):
    term = terms[name]
    text = term['dec'].decode(data)
    if term['cr']:
        text = '\r' + text
    term['cr'] = text.endswith('\r')
    if term['cr']:
        text = text[:-1]
    if text:
        text = text.replace('\r\n', '\n')
        if term['guard'] is not None and not term['echoed']:
            term['seen'] = (term['seen'] + text)[-2 * len(term['echo']):]
            term['echoed'] = term['echo'] in term['seen']
        emit({'e': 'out', 'term': name, 't': time.monotonic_ns(), 'text': text})


SS_STATES = {1: 'ESTAB', 2: 'SYN-SENT', 3: 'SYN-RECV', 4: 'FIN-WAIT-1', 5: 'FIN-WAIT-2', 6: 'TIME-WAIT', 7: 'UNCONN',
             8: 'CLOSE-WAIT', 9: 'LAST-ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'SYN-RECV'}
SS_TIMERS = {1: 'on', 2: 'keepalive', 3: 'timewait', 4: 'persist'}


def tcp_sockets():
    """Every TCP socket of the namespace, as `ss -tan -o` names them, one row each: the inet_diag
    dump ss itself reads (SOCK_DIAG_BY_FAMILY, all states), without starting a program, so that
    the dump's time is known to a fraction of a millisecond."""
    req = struct.pack('=BBBBI', socket.AF_INET, socket.IPPROTO_TCP, 0, 0, 0xffffffff) + bytes(48)
    diag.send(struct.pack('=IHHII', 16 + len(req), 20, 0x301, 0, 0) + req)  # NLM_F_REQUEST|NLM_F_DUMP
    rows = ['State Recv-Q Send-Q Local Address:Port Peer Address:Port']
    while True:
        buf = diag.recv(1 << 16)
        off = 0
        while off + 16 <= len(buf):
            length, typ = struct.unpack_from('=IH', buf, off)
            if typ == 3 or typ == 2 or length < 16:  # NLMSG_DONE, NLMSG_ERROR
                return '\n'.join(rows) + '\n'
            m = off + 16
            _fam, state, timer, retrans = struct.unpack_from('=BBBB', buf, m)
            sport, dport = struct.unpack_from('>HH', buf, m + 4)
            src = socket.inet_ntoa(buf[m + 8:m + 12])
            dst = socket.inet_ntoa(buf[m + 24:m + 28])
            expires, rq, wq = struct.unpack_from('=III', buf, m + 52)
            t = f' timer:({SS_TIMERS[timer]},{expires}ms,{retrans})' if timer in SS_TIMERS else ''
            rows.append(f"{SS_STATES.get(state, state)} {rq} {wq} {src}:{sport} {dst}:{dport if dport else '*'}{t}")
            off += (length + 3) & ~3


def sample():
    t = time.monotonic_ns()
    text = tcp_sockets()
    emit({'e': 'sample', 't': t, 'end': time.monotonic_ns(), 'text': text})


def drain(name):
    while True:
        try:
            data = os.read(terms[name]['master'], 1 << 16)
        except OSError:
            return
        if not data:
            return
        on_output(name, data)


def on_proc_events(buf):
    off = 0
    while off + 16 <= len(buf):
        length, = struct.unpack_from('=I', buf, off)
        if length < 16:
            break
        # nlmsghdr (16) + cn_msg (20) + proc_event: what, cpu, timestamp_ns, data
        base = off + 16 + 20
        if base + 16 <= off + length:
            what, _cpu, ts = struct.unpack_from('=IIQ', buf, base)
            d = base + 16
            if what == PROC_EVENT_FORK:
                ppid, ptgid, cpid, ctgid = struct.unpack_from('=iiii', buf, d)
                if cpid == ctgid and ptgid in tracked:
                    tracked[ctgid] = tracked[ptgid]
            elif what == PROC_EVENT_EXEC:
                pid, tgid = struct.unpack_from('=ii', buf, d)
                if tgid in tracked and tgid not in bashes:
                    raw = read_host(tgid, 'cmdline')
                    argv = [a.decode(errors='replace') for a in raw.split(b'\0')[:-1]] if raw else None
                    stat = read_host(tgid, 'stat') or b''
                    ppid = int(stat.rsplit(b')', 1)[1].split()[1]) if b')' in stat else None
                    emit({'e': 'exec', 't': ts, 'pid': tgid, 'nspid': nspid(tgid), 'ppid': ppid, 'term': tracked[tgid], 'argv': argv})
            elif what == PROC_EVENT_EXIT:
                pid, tgid, code, _sig = struct.unpack_from('=iiII', buf, d)
                if pid == tgid and tgid in tracked:
                    del tracked[tgid]
                    if tgid in bashes:
                        name = bashes[tgid]
                        drain(name)
                        terms[name]['open'] = False
                        emit({'e': 'closed', 'term': name, 't': ts})
                    else:
                        emit({'e': 'exit', 't': ts, 'pid': tgid, 'status': code})
        off += (length + 3) & ~3


def bash_is_foreground(name):
    try:
        return os.tcgetpgrp(terms[name]['master']) == terms[name]['bash']
    except OSError:
        return False


def proc_stat(pid):
    """(state, pgrp) of a process, from the host's /proc."""
    st = read_host(pid, 'stat')
    if not st or b')' not in st:
        return None
    f = st.rsplit(b')', 1)[1].split()
    return f[0].decode(), int(f[2])


def unread(name):
    return struct.unpack('=i', fcntl.ioctl(terms[name]['slave'], termios.FIONREAD, b'\0' * 4))[0]


def watch_guard(name):
    """Typed text that is not a command line went to a foreground job while its bash is stopped
    (SIGSTOP, from this host), so bash cannot read it. Once the job has read it, bash goes on;
    if the job stops or ends first, the text is discarded (TCIFLUSH drops it from the line
    discipline and from the tty's buffer) and the recorder is told. What is written to the master
    reaches the line discipline later, from a workqueue: the input queue says the job read the
    text only once the line discipline has echoed it (the echo comes after the text is queued)."""
    term = terms[name]
    if term['echoed'] and unread(name) == 0:
        term['guard'] = None
        os.kill(term['bash'], signal.SIGCONT)
        return
    pgrp = term['guard']
    if any((st := proc_stat(p)) and st[1] == pgrp and st[0] not in 'TtZX' for p, n in tracked.items() if n == name and p != term['bash']):
        return
    termios.tcflush(term['slave'], termios.TCIFLUSH)
    term['guard'] = None
    os.kill(term['bash'], signal.SIGCONT)
    emit({'e': 'unread', 'term': name, 't': time.monotonic_ns()})


sampling = {'every': 0, 'next': 0}


def handle(cmd):
    if cmd['op'] == 'end':
        return False
    if cmd['op'] == 'sample':
        sampling['every'] = int(cmd['ms']) * 1_000_000
        sampling['next'] = time.monotonic_ns()
        return True
    name = cmd['term']
    term = terms[name]
    if not term['open']:
        emit({'e': 'typed', 'id': cmd['id'], 't': time.monotonic_ns(), 'ok': True, 'closed': True})
        return True
    if cmd.get('pid'):
        set_next_pid(int(cmd['pid']))
    if cmd.get('guard'):
        # not a command line: it may only reach the foreground job, never bash
        refused = bash_is_foreground(name)
        if not refused and term['guard'] is None:
            os.kill(term['bash'], signal.SIGSTOP)
            for _ in range(200):
                if (proc_stat(term['bash']) or ('T',))[0] in 'Tt':
                    break
                time.sleep(0.0005)
            refused = bash_is_foreground(name)
            if refused:
                os.kill(term['bash'], signal.SIGCONT)
            else:
                term['guard'] = os.tcgetpgrp(term['master'])
                term['echo'] = cmd['data'].replace('\r', '\n')
                term['echoed'] = False
                term['seen'] = ''

        if refused:
            emit({'e': 'typed', 'id': cmd['id'], 't': time.monotonic_ns(), 'ok': False})
            return True
    data = cmd['data'].encode()
    t = time.monotonic_ns()
    while data:
        try:
            data = data[os.write(term['master'], data):]
        except BlockingIOError:
            select.select([], [term['master']], [], 0.05)
    emit({'e': 'typed', 'id': cmd['id'], 't': t, 'ok': True})
    return True


def end():
    """SIGTERM (then SIGCONT, so a stopped job dies without running again) to every process of the
    experiment, a moment for tcpdump to write its file, then the namespace's init is killed."""
    for term in terms.values():
        if term['guard'] is not None:
            termios.tcflush(term['slave'], termios.TCIFLUSH)
    for pid in list(tracked):
        if pid not in bashes:
            for s in (signal.SIGTERM, signal.SIGCONT):
                try:
                    os.kill(pid, s)
                except OSError:
                    pass
    deadline = time.monotonic() + 0.5
    while time.monotonic() < deadline:
        r, _, _ = select.select([nl], [], [], 0.05)
        if r:
            on_proc_events(nl.recv(1 << 20))
    os.kill(init, signal.SIGKILL)
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and any(p not in bashes for p in tracked):
        r, _, _ = select.select([nl], [], [], 0.05)
        if r:
            on_proc_events(nl.recv(1 << 20))


pending = b''
running = True
while running:
    fds = [0, nl] + [v['master'] for v in terms.values() if v['open']]
    guarded = [k for k, v in terms.items() if v['guard'] is not None]
    timeout = 0.001 if guarded else None
    if sampling['every']:
        wait = max(0, sampling['next'] - time.monotonic_ns()) / 1e9
        timeout = wait if timeout is None else min(timeout, wait)
    r, _, _ = select.select(fds, [], [], timeout)
    for name in guarded:
        watch_guard(name)
    if sampling['every'] and time.monotonic_ns() >= sampling['next']:
        sample()
        sampling['next'] += sampling['every']
    for fd in r:
        if fd == 0:
            chunk = os.read(0, 1 << 16)
            if not chunk:
                running = False
                break
            pending += chunk
            while b'\n' in pending:
                line, pending = pending.split(b'\n', 1)
                if line.strip() and not handle(json.loads(line)):
                    running = False
        elif fd is nl:
            try:
                on_proc_events(nl.recv(1 << 20))
            except OSError as e:
                if e.errno != errno.ENOBUFS:
                    raise
                emit({'e': 'lost', 't': time.monotonic_ns()})
        else:
            drain(by_master[fd])
end()
emit({'e': 'done'})
