import type { ReplicationPair } from '../core';

/**
 * What the handlers need of the crr-monitor config, as the CDK stack passes it in CONFIG_JSON:
 * `{"replication": [{"source", "destinations": [...], "sourceAccount"?}], "retentionHours", "overdueMinutes",
 *   "agentRoles": {"<source bucket>": "<role ARN>"}}`. `pairs: [{source, destination}]` is accepted too.
 * The one place that reads it.
 */
export interface RuntimeConfig {
  readonly pairs: ReplicationPair[];
  /** Configured source buckets: a write to one of them puts the version in the pending index. */
  readonly sources: ReadonlySet<string>;
  readonly retentionHours: number;
  readonly overdueMinutes: number;
  /** Role to assume for HeadObject on a remote account's source bucket. */
  readonly agentRoles: Readonly<Record<string, string>>;
}

export class RuntimeConfigError extends Error {}

export function parseRuntimeConfig(text: string | undefined): RuntimeConfig {
  if (!text) throw new RuntimeConfigError('CONFIG_JSON is not set');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new RuntimeConfigError(`CONFIG_JSON is not valid JSON: ${(error as Error).message}`);
  }
  return runtimeConfigFrom(raw);
}

export function runtimeConfigFrom(raw: unknown): RuntimeConfig {
  if (typeof raw !== 'object' || raw === null) throw new RuntimeConfigError('CONFIG_JSON must be an object');
  const input = raw as Record<string, unknown>;
  const pairs: ReplicationPair[] = [];
  const seen = new Set<string>();
  const add = (source: unknown, destination: unknown, where: string) => {
    if (typeof source !== 'string' || typeof destination !== 'string' || !source || !destination) {
      throw new RuntimeConfigError(`CONFIG_JSON ${where}: source and destination must be bucket names`);
    }
    const id = `${source}>${destination}`;
    if (!seen.has(id)) pairs.push({ source, destination });
    seen.add(id);
  };
  if (Array.isArray(input.replication)) {
    input.replication.forEach((rule: Record<string, unknown>, i) => {
      if (!Array.isArray(rule?.destinations)) throw new RuntimeConfigError(`CONFIG_JSON replication[${i}].destinations must be a list`);
      for (const d of rule.destinations) add(rule.source, d, `replication[${i}]`);
    });
  }
  if (Array.isArray(input.pairs)) input.pairs.forEach((p: Record<string, unknown>, i) => add(p?.source, p?.destination, `pairs[${i}]`));
  if (pairs.length === 0) throw new RuntimeConfigError('CONFIG_JSON names no replication pairs');
  const number = (name: string, fallback: number) => {
    const value = input[name];
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !(value > 0)) throw new RuntimeConfigError(`CONFIG_JSON ${name} must be a positive number`);
    return value;
  };
  const agentRoles: Record<string, string> = {};
  if (typeof input.agentRoles === 'object' && input.agentRoles !== null) {
    for (const [bucket, role] of Object.entries(input.agentRoles as Record<string, unknown>)) {
      if (typeof role === 'string' && role) agentRoles[bucket] = role;
    }
  }
  return {
    pairs,
    sources: new Set(pairs.map((p) => p.source)),
    retentionHours: number('retentionHours', 24),
    overdueMinutes: number('overdueMinutes', 15),
    agentRoles,
  };
}
