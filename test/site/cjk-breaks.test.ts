import { expect, test } from 'vitest';
import { joinCjkLines } from '../../src/site/cjk-breaks.ts';
import { momentOf } from '../../src/site/moments.ts';

test('a source line break between two Chinese characters is dropped; next to Latin text it stays a space', () => {
  expect(joinCjkLines('重放实验笔记中的\n第一个实验。')).toBe('重放实验笔记中的第一个实验。');
  expect(joinCjkLines('一共用到四个终端。\n  下面所有输出')).toBe('一共用到四个终端。下面所有输出');
  expect(joinCjkLines('只用\n`nc`')).toBe('只用\n`nc`');
  expect(joinCjkLines('Linux 4.4\n上的')).toBe('Linux 4.4\n上的');
  expect(joinCjkLines('in English\nand more')).toBe('in English\nand more');
  // at the edges of a text node, the neighbours' characters decide
  expect(joinCjkLines('\n的子连接', '个', '')).toBe('的子连接');
  expect(joinCjkLines('子连接\n', '', 'x')).toBe('子连接\n');
});

test('#t= fragments: seconds, or nothing', () => {
  expect(momentOf('#t=238.851441')).toBe(238.851441);
  expect(momentOf('#t=12')).toBe(12);
  expect(momentOf('#t=')).toBeNull();
  expect(momentOf('#3-capturing-loopback')).toBeNull();
  expect(momentOf('#t=1e9')).toBeNull();
});
