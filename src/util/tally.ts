/** Adds one to `record[key]`, starting from 0. */
export function tally(record: Record<string, number>, key: string): void {
  record[key] = (record[key] ?? 0) + 1;
}
