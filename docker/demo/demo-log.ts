// One JSON line per event on stdout, like the idp's pino lines.
export type DemoLog = (event: string, fields?: Record<string, unknown>) => void;

export function demoLog(app: string): DemoLog {
  return (event, fields = {}) => {
    process.stdout.write(
      `${JSON.stringify({ time: new Date().toISOString(), app, event, ...fields })}\n`,
    );
  };
}
