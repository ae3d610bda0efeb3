// Which drizzle-kit 1.x packages the server can drive: the SDK (`drizzle-kit/cli`, `drizzle-kit/payload/sqlite`)
// arrived in 1.0.0-rc.4, and projects still pin earlier pre-releases (a public bun app has 1.0.0-beta.9). Those
// must get a refusal that says why and what to do, not "reinstall".
import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError } from '../../src/core/errors.js';
import { loadKitPayload, loadKitSdk } from '../../src/project/kit-api.js';
import { PRE_SDK_KIT_VERSION, writePreSdkKit } from '../helpers/drizzle-rc.js';
import { makeTempDir } from '../helpers/migration-fixtures.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function preSdkKit(): string {
  const dir = makeTempDir('dsm-kit-api-');
  dirs.push(dir);
  writePreSdkKit(dir);
  return dir;
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

describe('a drizzle-kit 1.0 pre-release without the SDK', () => {
  for (const [entry, load] of [
    ['cli', loadKitSdk],
    ['payload/sqlite', loadKitPayload],
  ] as const) {
    it(`is refused with the version that has "drizzle-kit/${entry}" and the ways on`, async () => {
      const dir = preSdkKit();
      const error = await failure(
        load({ source: 'project', line: '1.x', version: PRE_SDK_KIT_VERSION, dir }),
      );
      expect(error.code).toBe('CONFIG_ERROR');
      expect(error.message).toContain('drizzle-kit 1.0.0-beta.9-e89174b is a Drizzle 1.0 pre-release');
      expect(error.message).toContain(`"drizzle-kit/${entry}", added in 1.0.0-rc.4`);
      expect(error.hint).toMatch(/drizzle-kit@1\.0\.0-rc\.5 .*drizzle-orm@1\.0\.0-rc\.5/);
      expect(error.hint).toMatch(/npx drizzle-kit generate/);
    });
  }
});
