// Serves a demo app's handler on its host and port; a failed request is logged, never fatal.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { DemoConfig } from './demo-config.ts';
import { sendText } from './demo-http.ts';
import type { DemoLog } from './demo-log.ts';

export async function listen(
  config: DemoConfig,
  handler: (req: IncomingMessage, res: ServerResponse) => Promise<void>,
  log: DemoLog,
) {
  const server = createServer((req, res) => {
    handler(req, res).catch((error: unknown) => {
      log('request.failed', { url: req.url, error: String(error) });
      if (!res.headersSent) sendText(res, 500, 'Something went wrong');
      else res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(config.port, config.host, resolve));
  const address = server.address();
  log('listening', { host: config.host, port: typeof address === 'object' ? address?.port : null });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => server.close());
  }
  return server;
}
