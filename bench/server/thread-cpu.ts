import { readdirSync, readFileSync } from "node:fs";

/**
 * CPU time of a process's threads, read from /proc (Linux only): its main thread (the one whose
 * thread id is the process id: the server's event loop) and all its other threads together
 * (search workers, libuv's pool, V8's GC and compiler helpers). Clock-tick resolution (10 ms
 * with USER_HZ 100), so it is read over seconds of work. Undefined where /proc is absent or the
 * process is gone.
 */
export interface ThreadCpu {
  mainMs: number;
  otherMs: number;
}

/** USER_HZ: 100 on every Linux that Node supports. */
const TICK_MS = 10;

export function threadCpu(pid: number | undefined): ThreadCpu | undefined {
  if (pid === undefined) return undefined;
  try {
    let mainMs = 0, otherMs = 0;
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const ms = taskCpuMs(pid, tid);
      if (tid === String(pid)) mainMs = ms;
      else otherMs += ms;
    }
    return { mainMs, otherMs };
  } catch {
    return undefined;
  }
}

/** utime + stime of one task (fields 14 and 15 of its stat line; the name, field 2, may hold spaces, so counting starts after its ')'). */
function taskCpuMs(pid: number, tid: string): number {
  const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** CPU spent between two readings, or undefined when either is missing. */
export function threadCpuSince(before: ThreadCpu | undefined, after: ThreadCpu | undefined): ThreadCpu | undefined {
  if (before === undefined || after === undefined) return undefined;
  // A thread that exited in between (a restarted worker) takes its time with it: never below 0.
  return { mainMs: Math.max(0, after.mainMs - before.mainMs), otherMs: Math.max(0, after.otherMs - before.otherMs) };
}
