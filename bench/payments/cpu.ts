import { readdirSync, readFileSync } from 'node:fs';

/**
 * Where the CPU went during one measurement, in percent of one core (a 2-core machine
 * tops out at 200): the service process, this bench process (autocannon, the load
 * generator), every PostgreSQL process, and the machine as a whole. On a small
 * machine all of them share the cores, so these say who a figure is bounded by.
 *
 * Processes that end during the measurement (pgbench's connections) are not in the
 * per-process figures, only in the machine's; `otherPercent` is what none of the three
 * accounts for (other users of the machine and of PostgreSQL, interrupts, ended processes).
 */
export interface CpuBreakdown {
  servicePercent: number;
  benchPercent: number;
  /** PostgreSQL working for this run: the bench database's backends and the server's background processes. */
  postgresPercent: number;
  /** Every PostgreSQL process, including backends of other databases (tests others run on the same server). */
  postgresAllPercent: number;
  otherPercent: number | null;
  machineBusyPercent: number | null;
  /** Part of the machine's busy time spent in interrupts and softirqs (loopback TCP is processed there), in no process's figure. */
  irqPercent: number | null;
  /** Time the hypervisor ran something else while this VM wanted the CPU. */
  stealPercent: number | null;
  /** The busiest other processes (neither the service, this bench nor PostgreSQL): the machine is shared. */
  topOthers: { comm: string; pid: number; percent: number }[];
  cores: number;
}

/** Linux reports process times in clock ticks; 100 per second on every common kernel (getconf CLK_TCK). */
const TICKS_PER_SECOND = 100;

/**
 * Starts measuring; the function it returns ends the measurement. `ownPostgres` are the
 * PostgreSQL pids that work for this run (without it, every postgres process counts).
 */
export function startCpuMeter(servicePid: number | null): (ownPostgres?: Set<number>) => CpuBreakdown {
  const t0 = process.hrtime.bigint();
  const before = snapshot(servicePid);
  return (ownPostgres) => {
    const after = snapshot(servicePid);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    const pct = (ticks: number) => round((100 * ticks) / TICKS_PER_SECOND / seconds);
    const delta = (pid: number) => after.processes.get(pid)!.ticks - (before.processes.get(pid)?.ticks ?? 0);
    const own = new Set([servicePid, process.pid]);
    let postgresTicks = 0;
    let postgresAllTicks = 0;
    const others: { comm: string; pid: number; ticks: number }[] = [];
    for (const [pid, p] of after.processes) {
      if (p.comm === 'postgres') {
        postgresAllTicks += delta(pid);
        if (!ownPostgres || ownPostgres.has(pid)) postgresTicks += delta(pid);
      } else if (!own.has(pid) && delta(pid) > 0) others.push({ comm: p.comm, pid, ticks: delta(pid) });
    }
    const service = pct(after.service - before.service);
    const bench = pct(after.bench - before.bench);
    const postgres = pct(postgresTicks);
    const postgresAll = pct(postgresAllTicks);
    let machine: number | null = null;
    let irq: number | null = null;
    let steal: number | null = null;
    if (before.machine && after.machine) {
      // /proc/stat's first line sums the ticks of all cores, so 200 means both cores of a 2-core machine were busy.
      machine = pct(after.machine.busy - before.machine.busy);
      irq = pct(after.machine.irq - before.machine.irq);
      steal = pct(after.machine.steal - before.machine.steal);
    }
    return {
      servicePercent: service,
      benchPercent: bench,
      postgresPercent: postgres,
      postgresAllPercent: postgresAll,
      otherPercent: machine === null ? null : round(machine - service - bench - postgres),
      machineBusyPercent: machine,
      irqPercent: irq,
      stealPercent: steal,
      topOthers: others
        .sort((a, b) => b.ticks - a.ticks)
        .slice(0, 5)
        .map((o) => ({ comm: o.comm, pid: o.pid, percent: pct(o.ticks) })),
      cores: after.cores,
    };
  };
}

interface Snapshot {
  service: number;
  bench: number;
  /** Every process, by pid. */
  processes: Map<number, { comm: string; ticks: number }>;
  machine: { busy: number; irq: number; steal: number } | null;
  cores: number;
}

function snapshot(servicePid: number | null): Snapshot {
  const processes = new Map<number, { comm: string; ticks: number }>();
  for (const name of safeReaddir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = processStat(Number(name));
    if (stat) processes.set(Number(name), stat);
  }
  return {
    service: servicePid === null ? 0 : (processStat(servicePid)?.ticks ?? 0),
    bench: processStat(process.pid)?.ticks ?? 0,
    processes,
    machine: machineTicks(),
    cores: cpuCount(),
  };
}

/** utime + stime of a process (all its threads), from /proc/<pid>/stat. */
function processStat(pid: number): { comm: string; ticks: number } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces; the fields after it are space-separated.
    const close = text.lastIndexOf(')');
    const comm = text.slice(text.indexOf('(') + 1, close);
    const fields = text.slice(close + 2).split(' ');
    // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
    return { comm, ticks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return null;
  }
}

function machineTicks(): { busy: number; irq: number; steal: number } | null {
  try {
    // user nice system idle iowait irq softirq steal (guest time is already inside user)
    const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
    // idle and iowait are not busy.
    return { busy: total - cpu[3] - (cpu[4] ?? 0), irq: (cpu[5] ?? 0) + (cpu[6] ?? 0), steal: cpu[7] ?? 0 };
  } catch {
    return null;
  }
}

function cpuCount(): number {
  try {
    return readFileSync('/proc/stat', 'utf8').split('\n').filter((l) => /^cpu\d/.test(l)).length;
  } catch {
    return 0;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
