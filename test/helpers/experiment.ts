/** Test helper: the text of a small experiment file around a steps block. */
export function experimentText(steps: string, o: { extra?: string; terminals?: string[]; blocks?: string; profile?: string; id?: string } = {}): string {
  const terminals = o.terminals ?? ['a', 'b'];
  const blocks = o.blocks ?? terminals.map((t) => `${t} terminal ${t} from start to end`).join('\n');
  return `---
id: ${o.id ?? 't'}
title: { en: t, zh-CN: t }
profile: ${o.profile ?? 'linux-6.x'}
seed: 4
host: { hostname: box, user: root }
${o.extra ?? ''}terminals:
${terminals.map((t) => `  ${t}: { history: 1 }`).join('\n')}
---

\`\`\`steps
${steps}
\`\`\`
${blocks ? `\n\`\`\`blocks\n${blocks}\n\`\`\`\n` : ''}`;
}
