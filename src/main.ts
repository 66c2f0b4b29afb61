// Process entry: load config, connect, listen, and close everything on SIGTERM/SIGINT.
import { createServer, type ServerResponse } from 'node:http';
import { createApp } from './app.ts';
import { connect } from './boot.ts';
import { ConfigError, loadConfig, metricsExposed } from './config.ts';
import { createLogger } from './logger.ts';
import { createMetricsServer } from './metrics/metrics-endpoint.ts';
import { describeUrl } from './net.ts';
import { ClientsFileError } from './oidc/clients.ts';
import { ResourceServersFileError } from './oidc/resource-servers.ts';
import { tracing } from './tracing/tracing.ts';

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
  const logger = createLogger(config.logLevel, undefined, tracing.logFields);
  if (config.tracing && !tracing.active) {
    logger.warn(
      'OTEL_EXPORTER_OTLP_ENDPOINT is set but tracing did not start: start the server with node --import ./src/tracing/preload.ts src/main.ts (npm start and the image do)',
    );
  } else if (config.tracing) {
    logger.info(
      { endpoint: describeUrl(config.tracing.endpoint), serviceName: config.tracing.serviceName },
      'tracing on',
    );
  }
  if (config.bcryptCost < 10) {
    logger.warn({ bcryptCost: config.bcryptCost }, 'BCRYPT_COST below 10 is only for tests');
  }

  let resources: Awaited<ReturnType<typeof connect>>;
  try {
    resources = await connect(config, logger);
  } catch (error) {
    if (error instanceof ClientsFileError || error instanceof ResourceServersFileError) {
      logger.fatal({ problems: error.problems }, error.message);
    } else {
      logger.fatal({ err: error }, `startup failed: ${(error as Error).message}`);
    }
    process.exitCode = 1;
    return;
  }

  const latchkey = createApp({ config, logger, ...resources });
  const handle = latchkey.handle;
  // While draining, every answer says Connection: close, so keep-alive clients move away (to
  // another instance) after their current request instead of sending more on this connection.
  let draining = false;
  const inFlight = new Set<ServerResponse>();
  const server = createServer(
    { requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 5_000 },
    (req, res) => {
      if (draining) res.setHeader('Connection', 'close');
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
      handle(req, res);
    },
  );
  server.listen(config.port, () => {
    logger.info({ issuer: config.issuer, port: config.port }, 'latchkey listening');
  });
  const { port: metricsPort, host: metricsHost, token: metricsToken } = config.metrics;
  const metricsServer =
    metricsPort === undefined ? undefined : createMetricsServer(latchkey.metrics, metricsToken);
  metricsServer?.on('error', (error) => {
    logger.error({ err: error, port: metricsPort }, 'metrics listener failed');
  });
  metricsServer?.listen(metricsPort, metricsHost, () => {
    logger.info({ host: metricsHost, port: metricsPort }, 'metrics listening');
    if (metricsExposed(config.metrics)) {
      logger.warn(
        { host: metricsHost, port: metricsPort },
        'metrics listen beyond loopback without METRICS_TOKEN: anyone who reaches this port can read them',
      );
    }
  });
  // Audit events older than AUDIT_RETENTION_DAYS are deleted soon after start, then hourly.
  latchkey.audit.retention.start();

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    const deadline = Date.now() + config.shutdownTimeoutMs;
    logger.info({ signal, inFlight: inFlight.size }, 'shutting down');
    latchkey.startDraining();
    draining = true;
    metricsServer?.close();
    metricsServer?.closeAllConnections();
    for (const res of inFlight) if (!res.headersSent) res.setHeader('Connection', 'close');
    // A connection between two requests is closed at once; one a request was about to use is
    // closed before that request is read, so nothing accepted is lost. Repeated, because requests
    // in flight leave connections idle as they finish.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    const force = setTimeout(() => {
      logger.warn('shutdown timeout: closing remaining connections');
      server.closeAllConnections();
    }, config.shutdownTimeoutMs);
    force.unref();
    server.close(() => {
      clearInterval(sweep);
      clearTimeout(force);
      // Logout tokens still being sent get a few seconds; a retry waiting longer is given up.
      const settled = Promise.race([
        latchkey.backchannel.settled(),
        new Promise((resolve) => setTimeout(resolve, 3000).unref()),
      ]);
      // Mail queued by the last requests gets what is left of SHUTDOWN_TIMEOUT_MS (at least 1 s).
      const mailSent = latchkey.mailer.close(Math.max(1000, deadline - Date.now()));
      Promise.all([settled, mailSent])
        // Audit events of the last requests are written before Postgres closes.
        .then(() => latchkey.audit.close(Math.max(1000, deadline - Date.now())))
        .then(() => resources.close())
        // The spans of the last requests leave before the process does (a collector that does
        // not answer gets two seconds).
        .then(() =>
          Promise.race([
            tracing.shutdown().catch(() => {}),
            new Promise((resolve) => setTimeout(resolve, 2000).unref()),
          ]),
        )
        .then(
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
