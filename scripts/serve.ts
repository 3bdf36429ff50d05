// npm start: serve the built site on 127.0.0.1.
// Usage: node scripts/serve.ts [dir=dist] [port=4321] [--gzip]
// Port 0 picks a free port; the first line printed names the URL. --gzip compresses text
// responses as static hosts do (npm run report serves Lighthouse that way, from this process).
// The base path comes from TCP_LAB_BASE (default "/"), as for the build.
import { existsSync, statSync } from 'node:fs';
import { startStaticServer } from '../src/site/static-server.ts';

const USAGE = `usage: node scripts/serve.ts [DIR=dist] [PORT=4321] [--gzip]
Serves the built site (npm run build writes dist/) on http://127.0.0.1:PORT/ until Ctrl-C.
  DIR      the folder to serve (default dist)
  PORT     the port (default $PORT or 4321; 0 picks a free one); the first line printed names the URL
  --gzip   compress text responses, as static hosts do
The base path comes from TCP_LAB_BASE (default /), as for the build.`;
const args = process.argv.slice(2);
if (args.includes('--help') || args.includes('-h')) {
  console.log(USAGE);
  process.exit(0);
}
const unknown = args.filter((a) => a.startsWith('-') && a !== '--gzip');
if (unknown.length) {
  console.error(`tcp-lab: unknown option ${unknown[0]}\n${USAGE}`);
  process.exit(2);
}
const positional = args.filter((a) => !a.startsWith('--'));
if (positional.length > 2) {
  console.error(`tcp-lab: too many arguments (${positional.join(' ')})\n${USAGE}`);
  process.exit(2);
}
const dir = positional[0] ?? 'dist';
const port = Number(positional[1] ?? process.env.PORT ?? 4321);
const compress = process.argv.includes('--gzip');
if (!existsSync(dir) || !statSync(dir).isDirectory()) {
  console.error(`tcp-lab: ${dir} is not a directory of the built site (npm run build writes dist/)`);
  process.exit(1);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`tcp-lab: port must be an integer 0-65535 (0: any free port), got ${positional[1] ?? process.env.PORT}`);
  process.exit(1);
}
const { url } = await startStaticServer({ root: dir, port, base: process.env.TCP_LAB_BASE || '/', compress });
console.log(`tcp-lab: serving ${dir} at ${url}  (Ctrl-C to stop)`);
