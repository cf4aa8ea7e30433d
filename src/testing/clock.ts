/**
 * The runner's virtual clock, with time skipping.
 *
 * `now()` is the base clock (the real clock, or the `clock` option) plus every duration the
 * runner skipped. Waits, retry backoff, task/heartbeat timeouts and execution timeouts are
 * timers on this clock. While no handler is running and no callback is outstanding, the clock
 * jumps straight to the next timer (time skipping); while a handler runs, timers fire as the
 * base clock reaches them (a handler that really runs 1.5 s misses a 1 s heartbeat); while a
 * `.waitForTaskToken` callback is outstanding, time only moves with `advance()` (or the base
 * clock), so that a test can answer the callback before its timeout.
 */

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly fire: () => void;
  cancelled: boolean;
}

/** What {@link VirtualClock.sleep} needs of an abort signal (an AbortSignal fits). */
export interface StopSignal {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** Parses a duration: milliseconds, or a string such as `'500ms'`, `'90s'`, `'15m'`, `'2h'`, `'1d'`. */
export function parseDuration(duration: number | string): number {
  if (typeof duration === 'number') {
    if (!Number.isFinite(duration) || duration < 0) throw new Error(`LocalWorkflowRunner: invalid duration ${duration} (milliseconds >= 0 expected)`);
    return duration;
  }
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(duration);
  if (!m) throw new Error(`LocalWorkflowRunner: invalid duration '${duration}' (use milliseconds or e.g. '500ms', '90s', '15m', '2h', '1d')`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

/** A virtual clock with timers and time skipping (see the module comment). */
export class VirtualClock {
  private offset = 0;
  private timers: Timer[] = [];
  private seq = 0;
  private active = 0;
  private holds = 0;
  private pumpScheduled = false;
  private realTimer?: NodeJS.Timeout;
  private realTimerDue = Infinity;
  /** Deadlines that only matter when time is skipped or advanced past them (execution timeouts). */
  private readonly deadlines = new Set<{ due: number; fire: () => void }>();

  constructor(private readonly base: () => number) {}

  /** Virtual now, in epoch milliseconds. */
  now(): number {
    return this.base() + this.offset;
  }

  /** Milliseconds skipped so far. */
  get skipped(): number {
    return this.offset;
  }

  /** Calls `fire` when the clock reaches `due` (epoch ms). Returns a cancel function. */
  at(due: number, fire: () => void): () => void {
    const timer: Timer = { due, seq: this.seq++, fire, cancelled: false };
    // insert sorted by (due, seq); timers are few, a linear insert from the end is enough
    let i = this.timers.length;
    while (i > 0 && this.timers[i - 1].due > due) i--;
    this.timers.splice(i, 0, timer);
    if (this.active === 0 && this.holds === 0) this.schedulePump();
    else if (due < this.realTimerDue) this.armRealTimer();
    return () => {
      if (timer.cancelled) return;
      timer.cancelled = true;
      const idx = this.timers.indexOf(timer);
      if (idx >= 0) this.timers.splice(idx, 1);
    };
  }

  /**
   * A deadline (e.g. an execution timeout): fires when skipping or {@link advance} passes `due`, or
   * with any other timer activity after the base clock passed it. Cheaper than {@link at}.
   */
  deadline(due: number, fire: () => void): () => void {
    const entry = { due, fire };
    this.deadlines.add(entry);
    return () => {
      this.deadlines.delete(entry);
    };
  }

  /** Resolves after `ms` of virtual time (or when `signal` aborts). */
  sleep(ms: number, signal?: StopSignal): Promise<void> {
    if (signal?.aborted) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const onAbort = (): void => {
        cancel();
        resolve();
      };
      const cancel = this.at(this.now() + Math.max(0, ms), () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Marks work in progress (a handler running): no time skipping until the returned release is called. Idempotent release. */
  enter(): () => void {
    this.begin();
    return once(() => this.end());
  }

  /** {@link enter} without a release closure: pair every call with one {@link end}. */
  begin(): void {
    this.active++;
  }

  /** Ends a {@link begin}. */
  end(): void {
    this.active--;
    this.pumpIfIdle();
  }

  /** Holds the clock (an outstanding callback): no automatic skipping until released. Idempotent release. */
  hold(): () => void {
    this.holds++;
    return once(() => {
      this.holds--;
      this.pumpIfIdle();
    });
  }

  /** Skips time again once nothing runs, nothing holds the clock and a timer waits. */
  private pumpIfIdle(): void {
    if (this.active === 0 && this.holds === 0 && this.timers.length > 0) this.schedulePump();
  }

  /** Moves the clock forward by `ms` and fires every timer that became due. */
  advance(ms: number): void {
    this.offset += ms;
    this.fireDue();
    this.schedulePump();
  }

  private fireDue(): void {
    const now = this.now();
    this.fireDeadlines(now);
    while (this.timers.length > 0 && this.timers[0].due <= now) {
      const timer = this.timers.shift()!;
      timer.cancelled = true;
      timer.fire();
    }
  }

  private fireDeadlines(now: number): void {
    if (this.deadlines.size === 0) return;
    for (const d of [...this.deadlines].sort((a, b) => a.due - b.due)) {
      if (d.due > now) break;
      this.deadlines.delete(d);
      d.fire();
    }
  }

  private earliestDeadline(): number {
    let min = Infinity;
    for (const d of this.deadlines) if (d.due < min) min = d.due;
    return min;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  private pump(): void {
    this.fireDue();
    if (this.active === 0 && this.holds === 0 && this.timers.length > 0) {
      // Nothing runs and nothing waits for the outside: skip to the next timer (or an earlier deadline).
      const next = Math.min(this.timers[0].due, this.earliestDeadline());
      const now = this.now();
      if (next > now) this.offset += next - now;
      this.fireDue();
      if (this.timers.length > 0) this.schedulePump();
    }
    this.armRealTimer();
  }

  /**
   * Keeps a real (unref'd) timer for the earliest virtual timer, for time that passes while
   * handlers run. A real timer that became too early (its virtual timer was cancelled) is left to
   * fire harmlessly: re-arming on every task would cost more than the spurious wake-up.
   */
  private armRealTimer(): void {
    const next = this.timers.length > 0 ? this.timers[0].due : Infinity;
    if (next >= this.realTimerDue) return;
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimerDue = next;
    const delay = Math.min(Math.max(0, next - this.now()), 2_147_483_647);
    this.realTimer = setTimeout(() => {
      this.realTimer = undefined;
      this.realTimerDue = Infinity;
      this.pump();
    }, Math.max(delay, 1));
    this.realTimer.unref();
  }

  /** Cancels the real timer (the runner is closed). */
  dispose(): void {
    if (this.realTimer) clearTimeout(this.realTimer);
    this.realTimer = undefined;
    this.realTimerDue = Infinity;
    this.timers = [];
    this.deadlines.clear();
  }
}

/** A small seeded PRNG (mulberry32): the retry jitter is reproducible for a given seed. */
/* eslint-disable no-bitwise */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
/* eslint-enable no-bitwise */

/** `fn`, callable many times, run the first time only (an idempotent release). */
function once(fn: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    fn();
  };
}
