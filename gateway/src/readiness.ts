import type { SubgraphName } from '@cmp/platform';

export interface SubgraphStatus {
  name: SubgraphName;
  ready: boolean;
  detail?: string;
}

/** Asks every subgraph's /ready (which also checks its database) in parallel, each bounded by a timeout. */
export async function checkSubgraphs(urls: Record<SubgraphName, string>, timeoutMs = 2_000): Promise<SubgraphStatus[]> {
  return Promise.all(
    (Object.entries(urls) as [SubgraphName, string][]).map(async ([name, url]) => {
      const readyUrl = new URL('/ready', url);
      try {
        const response = await fetch(readyUrl, { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        return { name, ready: response.ok, ...(response.ok ? {} : { detail: `HTTP ${response.status}` }) };
      } catch (error) {
        return { name, ready: false, detail: (error as Error).name === 'TimeoutError' ? 'timeout' : 'unreachable' };
      }
    }),
  );
}
