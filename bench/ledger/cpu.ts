import { readFileSync } from 'node:fs';

/**
 * Where the CPU went during a measurement: this Node process (the bench's client side,
 * 100 = one core) and the whole machine (all cores, from /proc/stat; null off Linux).
 * On a small machine the client and PostgreSQL share the cores, so these say whether a
 * figure is bounded by CPU rather than by commits.
 */
export interface CpuUse {
  clientPercent: number;
  machineBusyPercent: number | null;
}

export function startCpuMeter(): () => CpuUse {
  const process0 = process.cpuUsage();
  const wall0 = process.hrtime.bigint();
  const machine0 = machineTicks();
  return () => {
    const used = process.cpuUsage(process0);
    const wallMicros = Number(process.hrtime.bigint() - wall0) / 1000;
    const machine1 = machineTicks();
    const busy = machine0 && machine1 ? 100 * (1 - (machine1.idle - machine0.idle) / (machine1.total - machine0.total)) : null;
    return {
      clientPercent: Math.round((1000 * (used.user + used.system)) / wallMicros) / 10,
      machineBusyPercent: busy === null ? null : Math.round(busy * 10) / 10,
    };
  };
}

function machineTicks(): { idle: number; total: number } | null {
  try {
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    // idle + iowait count as not busy
    return { idle: cpu[3] + (cpu[4] ?? 0), total: cpu.reduce((a, b) => a + b, 0) };
  } catch {
    return null;
  }
}
