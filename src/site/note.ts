// The lab note this site retells (the seed of the project), credited on the home page and in the
// chapters that retell it (src/components/NoteCredit.astro). Its text names no author or date:
// the author is the owner of the repository it is published in and of the image host its figure
// links to; the date is when that figure was uploaded (moooofly/ImageCache, 20 March 2018). The
// note itself reached GitHub on 23 August 2018, in a commit moving the author's notes over from
// another host.
export const NOTE = {
  title: '当新连接源端口和 CLOSE_WAIT 状态占用端口发生碰撞时',
  titleEn: 'When a new connection’s source port collides with a port held by a CLOSE_WAIT socket',
  author: 'moooofly',
  authorUrl: 'https://github.com/moooofly',
  /** ISO date (month) and how each language writes it. */
  date: '2018-03',
  dateText: { en: 'March 2018', zh: '2018 年 3 月' },
  repo: 'moooofly/MarkSomethingDownLLS',
  url: 'https://github.com/moooofly/MarkSomethingDownLLS/blob/master/' + encodeURIComponent('当新连接源端口和 CLOSE_WAIT 状态占用端口发生碰撞时.md'),
} as const;
