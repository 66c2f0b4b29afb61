// Settings of a demo app, from its environment: where the issuer is and where the app listens.
export interface DemoConfig {
  /** The name the app's pages show (APP_NAME): one program can play two apps. */
  name: string;
  issuer: URL;
  clientId: string;
  host: string;
  port: number;
  /** The app's own origin as a browser sees it (redirect URIs are built from it). */
  publicUrl: URL;
}

export function demoConfig(
  env: NodeJS.ProcessEnv,
  defaults: { name: string; clientId: string; port: number },
): DemoConfig {
  const port = Number(env.PORT ?? defaults.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`bad PORT: ${env.PORT}`);
  const host = env.HOST ?? '127.0.0.1';
  return {
    name: env.APP_NAME?.trim() || defaults.name,
    issuer: new URL(env.ISSUER ?? 'http://localhost:3000'),
    clientId: env.CLIENT_ID ?? defaults.clientId,
    host,
    port,
    publicUrl: new URL(env.PUBLIC_URL ?? `http://localhost:${port}`),
  };
}
