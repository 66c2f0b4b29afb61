// Process entry: load config, connect, listen, and close everything on SIGTERM/SIGINT.
import { createServer } from 'node:http';
import { createApp } from './app.ts';
import { connect } from './boot.ts';
import { ConfigError, loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { ClientsFileError } from './oidc/clients.ts';

async function main(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      createLogger('info').fatal({ problems: error.problems }, error.message);
      process.exitCode = 78;
      return;
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  if (config.bcryptCost < 10) {
    logger.warn({ bcryptCost: config.bcryptCost }, 'BCRYPT_COST below 10 is only for tests');
  }

  let resources: Awaited<ReturnType<typeof connect>>;
  try {
    resources = await connect(config, logger);
  } catch (error) {
    if (error instanceof ClientsFileError) {
      logger.fatal({ problems: error.problems }, error.message);
    } else {
      logger.fatal({ err: error }, `startup failed: ${(error as Error).message}`);
    }
    process.exitCode = 1;
    return;
  }

  const latchkey = createApp({ config, logger, ...resources });
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 },
    latchkey.app.callback(),
  );
  server.listen(config.port, () => {
    logger.info({ issuer: config.issuer, port: config.port }, 'latchkey listening');
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    latchkey.startDraining();
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    force.unref();
    server.close(() => {
      clearTimeout(force);
      resources.close().then(
        () => logger.info('stopped'),
        (error: unknown) => {
          logger.error({ err: error }, 'error while closing connections');
          process.exitCode = 1;
        },
      );
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

await main();
