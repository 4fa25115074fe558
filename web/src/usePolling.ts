// Runs `tick` now and then every `intervalMs` while `active`, giving up after `maxMs`.
import { useEffect, useRef, useState } from 'react';

export interface PollState {
  /** True while polling is running. */
  running: boolean;
  /** True when polling stopped because it hit the cap. */
  gaveUp: boolean;
}

export function usePolling(
  tick: () => Promise<void> | void,
  active: boolean,
  intervalMs: number,
  maxMs: number,
  /** Changing this restarts the cap (e.g. a new save or a new request). */
  epoch: unknown = 0,
): PollState {
  const tickRef = useRef(tick);
  tickRef.current = tick;
  const [gaveUp, setGaveUp] = useState(false);

  useEffect(() => {
    setGaveUp(false);
  }, [epoch]);

  useEffect(() => {
    if (!active) return;
    const started = Date.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let stopped = false;
    const loop = async () => {
      if (stopped) return;
      if (Date.now() - started > maxMs) {
        setGaveUp(true);
        return;
      }
      try {
        await tickRef.current();
      } catch {
        // the tick shows its own errors
      }
      if (!stopped) timer = setTimeout(loop, intervalMs);
    };
    timer = setTimeout(loop, intervalMs);
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [active, intervalMs, maxMs, epoch]);

  return { running: active && !gaveUp, gaveUp: active && gaveUp };
}
