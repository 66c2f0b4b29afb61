// The idp the tests container talks to answers both probes and names the issuer the e2e client
// expects, in discovery and in its API description.
//   E2E_ISSUER=http://idp:3000 node scripts/check-idp.ts
const base = process.env.E2E_ISSUER;
if (!base) {
  console.error('check-idp: E2E_ISSUER (the compose idp) is not set');
  process.exit(1);
}

async function get(path: string): Promise<Record<string, unknown>> {
  const res = await fetch(base + path);
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

try {
  await get('/healthz');
  await get('/readyz');
  const meta = await get('/.well-known/openid-configuration');
  if (meta.issuer !== base) throw new Error(`issuer is ${meta.issuer}, expected ${base}`);
  // The image carries docs/openapi.yaml and serves it for this issuer.
  const description = await get('/openapi.json');
  const servers = description.servers as { url?: string }[] | undefined;
  if (servers?.[0]?.url !== base) throw new Error(`/openapi.json names ${servers?.[0]?.url}`);
  process.stdout.write(
    `${base}: /healthz and /readyz answer 200; discovery and /openapi.json name issuer ${meta.issuer}\n`,
  );
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
