// Where a project's drizzle config is: the folder must exist and hold a drizzle.config.* (or the given --config
// must exist). No project code runs here, so the launch-snippet command can check a path before printing it.
import fs from 'node:fs';
import path from 'node:path';
import { AppError } from '../core/errors.js';

export const CONFIG_FILE_NAMES = ['ts', 'mts', 'cts', 'js', 'mjs', 'cjs'].map(
  (ext) => `drizzle.config.${ext}`,
);

/** The project root and its config file, absolute; CONFIG_ERROR naming what is missing and what to pass instead. */
export function locateConfigFile(
  projectDir: string,
  configFile?: string,
): { root: string; configFile: string } {
  const root = path.resolve(projectDir);
  if (!isDirectory(root)) {
    throw new AppError('CONFIG_ERROR', `The project folder ${root} does not exist or is not a folder.`, {
      hint: 'Pass --project with the folder that holds drizzle.config.ts (or --config with the config file itself).',
    });
  }
  if (configFile !== undefined) {
    const file = path.resolve(root, configFile);
    if (!fs.existsSync(file)) {
      throw new AppError('CONFIG_ERROR', `The drizzle config file ${file} does not exist.`, {
        hint: 'Check the --config path, or pass --project with the folder that holds drizzle.config.ts.',
      });
    }
    return { root, configFile: file };
  }
  for (const name of CONFIG_FILE_NAMES) {
    const candidate = path.join(root, name);
    if (fs.existsSync(candidate)) return { root, configFile: candidate };
  }
  throw new AppError(
    'CONFIG_ERROR',
    `No drizzle config found in ${root} (looked for ${CONFIG_FILE_NAMES.join(', ')}).`,
    {
      hint: 'Pass --config with the path of your drizzle config file, or --project with the folder that contains it.',
    },
  );
}

function isDirectory(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}
