import { useEffect, useRef, useState } from "react";
import type { Instance } from "@/api/types";
import { subscribeLiveEvents } from "@/features/live/live-provider";

export interface UsagePoint {
  at: number;
  cpu: number;
  memory: number;
  instances: number;
}

const POINT_EVERY_MS = 5000;
const MAX_POINTS = 120;

/** Averages of the latest CPU and memory of every instance heard from. */
export function averageUsage(latest: ReadonlyMap<string, { cpu: number; memory: number }>) {
  let cpu = 0;
  let memory = 0;
  for (const value of latest.values()) {
    cpu += value.cpu;
    memory += value.memory;
  }
  const n = latest.size;
  return n === 0 ? null : { cpu: cpu / n, memory: memory / n, instances: n };
}

/**
 * The fleet's average CPU and memory over time, from the latest value of each instance: started
 * from a sample, then moved by live reports, one point every five seconds.
 */
export function useLiveUsage(sample: readonly Instance[] | undefined): UsagePoint[] {
  const latest = useRef(new Map<string, { cpu: number; memory: number }>());
  const [points, setPoints] = useState<UsagePoint[]>([]);

  useEffect(() => {
    if (!sample) return;
    for (const instance of sample) {
      if (!latest.current.has(instance.id)) {
        latest.current.set(instance.id, {
          cpu: instance.cpu_usage_percent,
          memory: instance.memory_usage_percent,
        });
      }
    }
    const average = averageUsage(latest.current);
    if (average) setPoints((old) => (old.length === 0 ? [{ at: Date.now(), ...average }] : old));
  }, [sample]);

  useEffect(() => {
    const unsubscribe = subscribeLiveEvents((events) => {
      for (const event of events) {
        if (event.type === "instance.report") {
          latest.current.set(event.instance_id, {
            cpu: event.cpu_usage_percent,
            memory: event.memory_usage_percent,
          });
        } else if (event.type === "instance.offline") {
          latest.current.delete(event.instance_id);
        }
      }
    });
    const timer = setInterval(() => {
      const average = averageUsage(latest.current);
      if (!average) return;
      setPoints((old) => [...old, { at: Date.now(), ...average }].slice(-MAX_POINTS));
    }, POINT_EVERY_MS);
    return () => {
      unsubscribe();
      clearInterval(timer);
    };
  }, []);

  return points;
}
