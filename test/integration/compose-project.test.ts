// The compose project names of scripts/lib.sh: one per clone for `make run`, one per run for
// `make test-docker`, and COMPOSE_PROJECT_NAME wins over both.
import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';

const run = promisify(execFile);

async function project(
  clone: string,
  fn: 'compose_project' | 'test_compose_project',
  env: Record<string, string> = {},
) {
  const { COMPOSE_PROJECT_NAME: _, ...inherited } = process.env;
  const { stdout } = await run('bash', ['-c', `. scripts/lib.sh && ${fn}`], {
    cwd: clone,
    env: { ...inherited, ...env },
  });
  return stdout;
}

describe('compose project names', () => {
  let root: string;
  const clones: string[] = [];

  before(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'latchkey-clones-'));
    // Two clones with the same directory name in different places.
    for (const parent of ['a', 'b']) {
      const clone = path.join(root, parent, 'Latchkey Copy');
      await mkdir(path.join(clone, 'scripts'), { recursive: true });
      await cp('scripts/lib.sh', path.join(clone, 'scripts/lib.sh'));
      clones.push(clone);
    }
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('differ between clones, stay the same for one clone, and are valid compose names', async () => {
    const [a, b] = clones as [string, string];
    const first = await project(a, 'compose_project');
    expect(first).to.match(/^latchkey-latchkey-copy-[0-9a-f]{8}$/);
    expect(await project(a, 'compose_project')).to.equal(first);
    expect(await project(b, 'compose_project')).to.not.equal(first);
  });

  it('are new for every test run', async () => {
    const [a] = clones as [string];
    const one = await project(a, 'test_compose_project');
    expect(one).to.match(/^latchkey-test-[0-9a-f]{8}$/);
    expect(await project(a, 'test_compose_project')).to.not.equal(one);
  });

  it('follow COMPOSE_PROJECT_NAME when it is set', async () => {
    const [a] = clones as [string];
    const env = { COMPOSE_PROJECT_NAME: 'mine' };
    expect(await project(a, 'compose_project', env)).to.equal('mine');
    expect(await project(a, 'test_compose_project', env)).to.equal('mine');
  });
});
