/**
 * read(2) into the program's buffer (tcp_recvmsg_locked() copying to the user's iovec, Linux 4.4
 * and 6.18): a read returns how many bytes it copied, at most the buffer's length, to the start
 * of the buffer; what did not fit stays queued for the next read; 0 at end of file.
 */
import { describe, expect, it } from 'vitest';
import { host, listener, client, ms } from '../helpers/host.ts';

describe('read(fd, buf, len) on a socket (tcp_recvmsg)', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    it(`${profile}: 10 bytes read through a 4-byte buffer as 4, 4, 2, then 0 at EOF, in order`, () => {
      const h = host({ profile });
      h.start('srv', function* (log) {
        const l: number = yield* listener(5000, 5);
        const fd: number = yield { op: 'accept', fd: l };
        yield { op: 'nanosleep', ns: ms(50) }; // let all 10 bytes and the FIN arrive
        const buf = new Uint8Array(4);
        const counts: number[] = [];
        let text = '';
        for (;;) {
          const n: number = yield { op: 'read', fd, buf };
          counts.push(n);
          if (n <= 0) break;
          text += new TextDecoder().decode(buf.subarray(0, n));
        }
        log('counts', counts);
        log('text', text);
        return 0;
      });
      h.run(ms(1));
      h.start('cli', function* () {
        const [fd] = yield* client(5000);
        yield { op: 'write', fd, data: '0123456789' };
        yield { op: 'close', fd };
        return 0;
      });
      h.run(ms(200));
      expect(h.results.get('counts')).toEqual([4, 4, 2, 0]);
      expect(h.results.get('text')).toBe('0123456789');
    });
  }
});
