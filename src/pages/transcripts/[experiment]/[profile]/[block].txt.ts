// The whole simulated output of a long folded transcript, as a plain-text file beside the pages
// (transcripts/<experiment>/<profile>/<block>.txt, shared by both languages). <Transcript> links
// to it instead of putting the text in the page; see foldTranscript() in src/site/transcripts.ts.
import type { APIRoute, GetStaticPaths } from 'astro';
import { fullOutputFiles } from '../../../../site/transcripts.ts';

export const getStaticPaths = (() =>
  fullOutputFiles().map(({ experiment, profile, block, text }) => ({ params: { experiment, profile, block }, props: { text } }))) satisfies GetStaticPaths;

export const GET: APIRoute = ({ props }) =>
  new Response((props as { text: string }).text, { headers: { 'Content-Type': 'text/plain; charset=utf-8' } });
