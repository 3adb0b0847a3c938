// External programs some tests drive (nginx, curl, prlimit). On a developer's machine a test
// whose tool is missing is skipped, and the skip says what to install; in CI (.ci/run installs
// the tools and sets WAFER_REQUIRE_TOOLS=1) the same test fails instead, so a tool that went
// missing cannot turn part of the suite into silent skips.
import type { Test } from 'tap';
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

export const TOOLS_REQUIRED = process.env.WAFER_REQUIRE_TOOLS === '1';

export interface Tool {
  name: string;
  /** The program's path, or undefined when it is not installed. */
  path: string | undefined;
  /** For t.test's `skip` option: the reason when the tool is missing and not required, else false. */
  skip: string | false;
  /** In a test: the path; when missing (and so required), a failure saying so, and undefined. */
  need(t: Test): string | undefined;
}

/** Look for `name` at `paths` (sbin directories are often not on a user's PATH), then on PATH. */
export function tool(name: string, install: string, paths: string[] = []): Tool {
  let path = paths.find((p) => existsSync(p));
  if (path === undefined) {
    const which = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
    if (which.status === 0 && which.stdout.trim() !== '') path = which.stdout.trim();
  }
  const missing = `${name} is not installed (${install})`;
  return {
    name,
    path,
    skip: path === undefined && !TOOLS_REQUIRED ? `${missing}; WAFER_REQUIRE_TOOLS=1 makes this a failure` : false,
    need(t: Test): string | undefined {
      if (path === undefined) t.fail(`${missing}, and WAFER_REQUIRE_TOOLS=1 requires it`);
      return path;
    },
  };
}

export const NGINX = tool('nginx', 'apt-get install nginx-light', ['/usr/sbin/nginx', '/usr/local/sbin/nginx', '/usr/local/nginx/sbin/nginx']);
export const CURL = tool('curl', 'apt-get install curl', ['/usr/bin/curl']);
/** util-linux; sets a child's descriptor limit. */
export const PRLIMIT = tool('prlimit', 'apt-get install util-linux');
/** Generates the throwaway certificates of the TLS tests. */
export const OPENSSL = tool('openssl', 'apt-get install openssl', ['/usr/bin/openssl']);
