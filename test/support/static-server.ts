// The smallest static file server, standing in for "any static server" (nginx, GitHub Pages,
// python -m http.server): files from a folder with a Content-Type by extension, 404 otherwise.
// Loopback only. `override` lets a test answer some paths itself (a wrong MIME type, an error).
import { readFile, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml',
  '.wasm': 'application/wasm', '.json': 'application/json', '.gz': 'application/gzip', '.png': 'image/png',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/**
 * `mounts` maps URL prefixes to folders (the longest matching prefix wins); everything else is
 * served from `folder`.
 */
export async function serveStatic(
  folder: string,
  override?: (request: IncomingMessage, response: ServerResponse) => boolean,
  mounts: Record<string, string> = {},
): Promise<StaticServer> {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const server: Server = createServer(async (request, response) => {
    if (override?.(request, response)) return;
    let path = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const prefix = prefixes.find((p) => path.startsWith(p));
    const base = prefix ? mounts[prefix] : folder;
    if (prefix) path = path.slice(prefix.length - 1);
    let file = normalize(join(base, path));
    if (file !== base && !file.startsWith(base + sep)) return void response.writeHead(403).end();
    if ((await stat(file).catch(() => undefined))?.isDirectory()) file = join(file, 'index.html');
    const body = await readFile(file).catch(() => undefined);
    if (!body) return void response.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    response.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
