/**
 * The simulated capture of the seed collision, read by the real tools: tshark's summary and
 * verbose TCP tree, and tcpdump -nn -r, equal our analyser's and renderers' output frame by
 * frame, for both kernel profiles.
 */
import { describe, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseExperiment } from '../../src/experiment/parse.ts';
import { runExperiment } from '../../src/experiment/run.ts';
import { readPcap } from '../../src/render/pcap.ts';
import { renderTcpdumpRead } from '../../src/render/tcpdump.ts';
import { analyzeTcp, renderTsharkSummary, renderTsharkVerbose } from '../../src/render/wireshark.ts';
import { itWithTools, tcpdumpRead, tsharkRead, withTempFile } from '../helpers/tools.ts';

const f = 'content/experiments/seed-collision/experiment.md';
const exp = parseExperiment(readFileSync(f, 'utf8'), f);

describe('real tshark and tcpdump on the simulated seed-collision capture', () => {
  for (const profile of ['linux-4.4', 'linux-6.x'] as const) {
    const pcap = runExperiment(exp, profile).procs.vfs.get('12345.pcap')!;
    const frames = readPcap(pcap);

    itWithTools(['tshark'], `${profile}: tshark -r and -V -O tcp equal our analyser`, (t) => {
      expect(frames).toHaveLength(13);
      const analysis = analyzeTcp(frames, { version: '4.0' });
      withTempFile('sim.pcap', pcap, (p) => {
        const real = tsharkRead(t.tshark, p).split('\n');
        const ours = renderTsharkSummary(frames, analysis).split('\n');
        ours.forEach((line, i) => expect(line, `frame ${i + 1}`).toBe(real[i]));
        expect(renderTsharkVerbose(frames, analysis)).toBe(tsharkRead(t.tshark, p, ['-V', '-O', 'tcp']));
      });
    }, 30_000);

    itWithTools(['tcpdump'], `${profile}: tcpdump -nn -r equals our renderer`, (t) => {
      withTempFile('sim.pcap', pcap, (p) => {
        const real = tcpdumpRead(t.tcpdump, p).split('\n');
        const ours = renderTcpdumpRead(frames, { version: '4.99', numeric: true, tz: 'UTC' }).split('\n');
        ours.forEach((line, i) => expect(line, `frame ${i + 1}`).toBe(real[i]));
      });
    }, 30_000);
  }
});
