// Memory of a server process and everything it spawned, read from /proc. A server may run its queries in a
// child process (ours does), so "server memory" is the sum over the process tree; a peak is the sum of each
// process's own high-water mark, an upper bound of the tree's true peak.
import { readFileSync, readdirSync } from 'node:fs';

export interface TreeMemory {
  /** Resident set size now, summed over the tree (bytes). */
  rss: number;
  /** Sum of each live process's VmHWM (bytes). */
  hwm: number;
  pids: number[];
}

function statusField(pid: number, field: string): number {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      const text = readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim();
      if (text) out.push(...text.split(/\s+/).map(Number));
    } catch {
      // The task ended while we looked.
    }
  }
  return out;
}

export function processTree(pid: number): number[] {
  const seen: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const next = queue.shift()!;
    if (seen.includes(next)) continue;
    seen.push(next);
    queue.push(...childrenOf(next));
  }
  return seen;
}

export function treeMemory(pid: number): TreeMemory {
  const pids = processTree(pid);
  let rss = 0;
  let hwm = 0;
  for (const p of pids) {
    rss += statusField(p, 'VmRSS');
    hwm += statusField(p, 'VmHWM');
  }
  return { rss, hwm, pids };
}

/** Samples the tree's RSS every few ms while `work` runs; returns the highest sum seen alongside VmHWM. */
export async function sampleWhile<T>(
  pid: number,
  work: () => Promise<T>,
  everyMs = 10,
): Promise<{ value: T; peakRss: number; hwm: number }> {
  let peakRss = treeMemory(pid).rss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, treeMemory(pid).rss);
  }, everyMs);
  try {
    const value = await work();
    const end = treeMemory(pid);
    return { value, peakRss: Math.max(peakRss, end.rss), hwm: end.hwm };
  } finally {
    clearInterval(timer);
  }
}
