// Opens a review page in the person's own browser with the operating system's opener (xdg-open, open, start).
// Security: the URL must be one of ours — http://127.0.0.1:<port>/<path>#<key> with nothing but [A-Za-z0-9_-/]
// in it — before any program is started, and no shell ever parses it except Windows' `start`, which sees only
// those characters. The child's output is discarded: our stdout belongs to JSON-RPC.
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';

export type Opener = (url: string) => Promise<void>;

export interface SystemOpenerOptions {
  platform: NodeJS.Platform;
  /** The server's environment, to tell whether a graphical session exists (Linux). */
  env: Readonly<Record<string, string | undefined>>;
  spawn?: (command: string, args: string[], options: SpawnOptions) => ChildProcess;
  /** How long a still-running opener counts as "started" (xdg-open may wait for the browser). Default 1.5 s. */
  settleMs?: number;
}

const OUR_URL = /^http:\/\/127\.0\.0\.1:\d{1,5}\/[A-Za-z0-9_/-]*#[A-Za-z0-9_-]{16,128}$/;

export function commandFor(
  platform: NodeJS.Platform,
  url: string,
): { command: string; args: string[]; verbatim?: true } {
  switch (platform) {
    case 'darwin':
      return { command: 'open', args: [url] };
    case 'win32':
      // `start` is a cmd built-in; the empty title argument keeps the quoted URL from being taken as the title.
      return { command: 'cmd.exe', args: ['/d', '/s', '/c', `start "" "${url}"`], verbatim: true };
    default:
      return { command: 'xdg-open', args: [url] };
  }
}

export function systemOpener(options: SystemOpenerOptions): Opener {
  const spawn = options.spawn ?? nodeSpawn;
  const settleMs = options.settleMs ?? 1500;
  return (url) => {
    if (!OUR_URL.test(url))
      return Promise.reject(new Error('Refusing to open a URL that is not a local review page.'));
    if (options.platform === 'linux' && !options.env.DISPLAY && !options.env.WAYLAND_DISPLAY) {
      return Promise.reject(new Error('No graphical session (neither DISPLAY nor WAYLAND_DISPLAY is set).'));
    }
    const { command, args, verbatim } = commandFor(options.platform, url);
    return new Promise((resolve, reject) => {
      let child: ChildProcess;
      try {
        child = spawn(command, args, {
          stdio: 'ignore',
          detached: true,
          windowsVerbatimArguments: verbatim === true,
        });
      } catch (error) {
        reject(error as Error);
        return;
      }
      const timer = setTimeout(() => {
        child.unref();
        resolve();
      }, settleMs);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`Could not start ${command}: ${error.message}`));
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (code === 0) resolve();
        else reject(new Error(`${command} exited with code ${code}.`));
      });
    });
  };
}
