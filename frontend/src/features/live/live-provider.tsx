import { useQueryClient } from "@tanstack/react-query";
import { createContext, useContext, useEffect, useState, type ReactNode } from "react";
import { api, ApiError, unwrap } from "@/api";
import { queryKeys } from "@/api/query-keys";
import type { Instance } from "@/api/types";
import { getInstance } from "@/features/instances/api";
import { LiveConnection, type LiveStatus } from "./connection";
import type { LiveEvent } from "./events";
import { addInstances, applyLiveEvents } from "./reducer";

const StatusContext = createContext<LiveStatus>("closed");
const listeners = new Set<(events: readonly LiveEvent[]) => void>();

/** Receives every batch of live events while the console is connected. */
export function subscribeLiveEvents(listener: (events: readonly LiveEvent[]) => void) {
  listeners.add(listener);
  return () => {
    listeners.delete(listener);
  };
}

export function useLiveStatus(): LiveStatus {
  return useContext(StatusContext);
}

function socketUrl(ticket: string): string {
  const scheme = globalThis.location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${globalThis.location.host}/api/v1/ws?ticket=${encodeURIComponent(ticket)}`;
}

/** Refetching the whole fleet list is costly: at most once per this many milliseconds. */
const FLEET_REFRESH_MS = 10_000;
/** New instances fetched one by one; beyond this many at once the list is reloaded instead. */
const FETCH_NEW_MAX = 50;

/** Keeps the cached fleet and task data current from the live-event socket while signed in. */
export function LiveEventsProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [status, setStatus] = useState<LiveStatus>("connecting");

  useEffect(() => {
    let lastFleetRefresh = 0;
    let pendingFleetRefresh: ReturnType<typeof setTimeout> | null = null;
    const refreshFleet = () => {
      const wait = lastFleetRefresh + FLEET_REFRESH_MS - Date.now();
      if (wait <= 0) {
        lastFleetRefresh = Date.now();
        // A reload already under way is not restarted: it will include the new instances.
        void client.invalidateQueries(
          { queryKey: queryKeys.instances.fleet },
          { cancelRefetch: false },
        );
      } else {
        pendingFleetRefresh ??= setTimeout(() => {
          pendingFleetRefresh = null;
          refreshFleet();
        }, wait);
      }
    };

    const connection = new LiveConnection({
      getTicket: async () => (await unwrap(api.POST("/api/v1/ws/ticket"))).ticket,
      url: socketUrl,
      // One cache update a second, however busy the fleet: ten thousand instances reporting
      // every minute are about 170 events a second.
      flushMs: 1000,
      shouldRetry: (error) =>
        !(error instanceof ApiError && (error.status === 401 || error.status === 403)),
      onStatus: setStatus,
      onReconnect: () => {
        // Events were missed while disconnected: reload what they would have changed.
        void client.invalidateQueries({ queryKey: queryKeys.instances.all });
        void client.invalidateQueries({ queryKey: queryKeys.tasks.all });
        void client.invalidateQueries({ queryKey: queryKeys.dashboard.all });
      },
      onEvents: (events) => {
        const effects = applyLiveEvents(client, events);
        const unknown = effects.unknownInstances;
        if (unknown.length > FETCH_NEW_MAX) {
          refreshFleet();
        } else if (unknown.length > 0) {
          void Promise.all(unknown.map((id) => getInstance(id).catch(() => null))).then((found) => {
            const added = found.filter((i): i is Instance => i !== null);
            client.setQueryData<{ items: Instance[]; total: number }>(
              queryKeys.instances.fleet,
              (fleet) => (fleet ? addInstances(fleet, added) : fleet),
            );
          });
        }
        if (unknown.length > 0 || effects.presenceChanged) {
          void client.invalidateQueries({ queryKey: ["instances", "page"] });
        }
        if (effects.presenceChanged) {
          void client.invalidateQueries({ queryKey: queryKeys.dashboard.counts });
          void client.invalidateQueries({ queryKey: queryKeys.dashboard.applications });
        }
        for (const [taskId, task] of effects.tasks) {
          void client.invalidateQueries({ queryKey: queryKeys.tasks.detail(taskId) });
          if (task.finished || task.unknownRecords) {
            void client.invalidateQueries({ queryKey: ["tasks", "records", taskId] });
          }
        }
        if (effects.tasks.size > 0) {
          void client.invalidateQueries({ queryKey: ["tasks", "list"] });
          void client.invalidateQueries({ queryKey: queryKeys.dashboard.tasks });
        }
        for (const listener of listeners) listener(events);
      },
    });
    connection.start();
    return () => {
      if (pendingFleetRefresh) clearTimeout(pendingFleetRefresh);
      connection.stop();
    };
  }, [client]);

  return <StatusContext.Provider value={status}>{children}</StatusContext.Provider>;
}
