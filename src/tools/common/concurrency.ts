/**
 * Runs `fn` over `items` with at most `limit` calls in flight; the results in the items' order.
 * Many small requests to one API server (apply_yaml's reads and dry runs) go this way: in flight
 * together they cost about the slowest of a batch rather than the sum, and the bound keeps one
 * call from crowding out every other session's requests on the same connection pool.
 */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}
