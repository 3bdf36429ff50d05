// npm start: serve the built site on 127.0.0.1.  Usage: node scripts/serve.ts [dir=dist] [port=4321]
// The base path comes from TCP_LAB_BASE (default "/"), as for the build.
import { startStaticServer } from '../src/site/static-server.ts';

const dir = process.argv[2] ?? 'dist';
const port = Number(process.argv[3] ?? process.env.PORT ?? 4321);
const { url } = await startStaticServer({ root: dir, port, base: process.env.TCP_LAB_BASE || '/' });
console.log(`tcp-lab: serving ${dir} at ${url}  (Ctrl-C to stop)`);
