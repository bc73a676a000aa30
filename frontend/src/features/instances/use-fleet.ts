import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { queryKeys } from "@/api/query-keys";
import { fetchFleet } from "./api";

/**
 * Every instance, kept current by live events (so it is never refetched on focus or a timer,
 * only when new instances register or the socket reconnects).
 */
export function useFleet() {
  const [progress, setProgress] = useState<{ loaded: number; total: number } | null>(null);
  const query = useQuery({
    queryKey: queryKeys.instances.fleet,
    queryFn: ({ signal }) => fetchFleet((loaded, total) => setProgress({ loaded, total }), signal),
    staleTime: Number.POSITIVE_INFINITY,
    refetchOnWindowFocus: false,
    // Live updates replace the changed instances themselves; comparing ten thousand objects
    // deeply on every update would cost more than it saves.
    structuralSharing: false,
  });
  return { ...query, progress };
}
