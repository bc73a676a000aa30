import { parseLiveEvent, type LiveEvent } from "./events";

export type LiveStatus = "connecting" | "open" | "closed";

export interface LiveConnectionOptions {
  /** A fresh ticket for each attempt (tickets are single-use and live 30 s). */
  getTicket: () => Promise<string>;
  /** The socket URL for a ticket. */
  url: (ticket: string) => string;
  /** A batch of events, at most every `flushMs`. */
  onEvents: (events: LiveEvent[]) => void;
  onStatus?: (status: LiveStatus) => void;
  /** Called after a reconnect: events may have been missed meanwhile. */
  onReconnect?: () => void;
  /** Whether a failed ticket request is worth retrying (a signed-out session is not). */
  shouldRetry?: (error: unknown) => boolean;
  flushMs?: number;
  WebSocketImpl?: typeof WebSocket;
  random?: () => number;
}

const MAX_BACKOFF_MS = 30_000;

/** Backoff before attempt `n` (0-based): 1 s, 2 s, 4 s … up to 30 s, with jitter. */
export function backoffDelay(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** attempt);
  return Math.round(base * (0.5 + random() / 2));
}

/** The live-event socket, reconnecting with backoff and a new ticket each time. */
export class LiveConnection {
  private socket: WebSocket | null = null;
  private stopped = true;
  private attempt = 0;
  private everOpened = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  private buffer: LiveEvent[] = [];

  constructor(private readonly options: LiveConnectionOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.flush();
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000);
    this.options.onStatus?.("closed");
  }

  private async connect(): Promise<void> {
    this.options.onStatus?.("connecting");
    let ticket: string;
    try {
      ticket = await this.options.getTicket();
    } catch (error) {
      if (this.stopped) return;
      if (this.options.shouldRetry && !this.options.shouldRetry(error)) {
        this.stop();
        return;
      }
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const Impl = this.options.WebSocketImpl ?? WebSocket;
    const socket = new Impl(this.options.url(ticket));
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.options.onStatus?.("open");
      if (reconnected) this.options.onReconnect?.();
    };
    socket.onmessage = (message: MessageEvent) => {
      const event = parseLiveEvent(message.data);
      if (event) this.push(event);
    };
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.flush();
      if (!this.stopped) this.scheduleRetry();
    };
  }

  private scheduleRetry(): void {
    this.options.onStatus?.("connecting");
    const delay = backoffDelay(this.attempt, this.options.random);
    this.attempt += 1;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) void this.connect();
    }, delay);
  }

  private push(event: LiveEvent): void {
    this.buffer.push(event);
    this.flushTimer ??= setTimeout(() => this.flush(), this.options.flushMs ?? 500);
  }

  private flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.buffer.length === 0) return;
    const batch = this.buffer;
    this.buffer = [];
    this.options.onEvents(batch);
  }
}
