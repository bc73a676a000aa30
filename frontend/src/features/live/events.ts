import type { RecordStatus } from "@/api/types";
import { RECORD_STATUSES } from "@/api/types";

/** The live-event WebSocket's messages (one JSON object per text frame). */
export type LiveEvent =
  | { type: "instance.online"; instance_id: string; application_id: string; at: string }
  | { type: "instance.offline"; instance_id: string; at: string }
  | {
      type: "instance.report";
      instance_id: string;
      application_id: string;
      cpu_usage_percent: number;
      memory_usage_percent: number;
      disk_usage_percent: number;
      at: string;
    }
  | {
      type: "task.updated";
      task_id: string;
      record_id: string;
      instance_id: string;
      status: RecordStatus;
      at: string;
    };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

const str = (v: unknown): v is string => typeof v === "string";
const num = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** Checks one message; anything not understood (a newer server's event) is null. */
export function parseLiveEvent(data: unknown): LiveEvent | null {
  let value: unknown = data;
  if (typeof data === "string") {
    try {
      value = JSON.parse(data);
    } catch {
      return null;
    }
  }
  if (!isRecord(value) || !str(value.at) || !str(value.instance_id)) return null;
  switch (value.type) {
    case "instance.online":
      return str(value.application_id) ? (value as LiveEvent) : null;
    case "instance.offline":
      return value as LiveEvent;
    case "instance.report":
      return str(value.application_id) &&
        num(value.cpu_usage_percent) &&
        num(value.memory_usage_percent) &&
        num(value.disk_usage_percent)
        ? (value as LiveEvent)
        : null;
    case "task.updated":
      return str(value.task_id) &&
        str(value.record_id) &&
        (RECORD_STATUSES as readonly unknown[]).includes(value.status)
        ? (value as LiveEvent)
        : null;
    default:
      return null;
  }
}
