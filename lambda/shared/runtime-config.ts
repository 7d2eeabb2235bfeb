/**
 * What the handlers need of the crr-monitor config, as the CDK stack passes it in CONFIG_JSON, as a zod schema: the
 * one definition lib/ writes (lib/stacks/monitor-stack.ts `handlerConfig`) and the handlers read.
 * `{"pairs": [{"source", "destination"}], "retentionHours", "overdueMinutes", "agentRoles": {"<source bucket>": "<role ARN>"}}`;
 * `replication: [{"source", "destinations": [...]}]` (the config file's own shape) is accepted too.
 */
import { z } from 'zod';
import type { ReplicationPair } from '../core';
import { CONFIG_DEFAULTS } from './config';

const pairSchema = z.strictObject({ source: z.string().min(1), destination: z.string().min(1) });
const ruleSchema = z.object({ source: z.string().min(1), destinations: z.array(z.string().min(1)) });
const positive = z.number().positive();

export const handlerConfigSchema = z.strictObject({
  pairs: z.array(pairSchema).optional(),
  replication: z.array(ruleSchema).optional(),
  retentionHours: positive.default(CONFIG_DEFAULTS.retentionHours),
  overdueMinutes: positive.default(CONFIG_DEFAULTS.overdueMinutes),
  /** Source bucket (in a remote account) → the agent role ARN to assume for HeadObject on it. */
  agentRoles: z.record(z.string(), z.string().min(1)).default({}),
});

/** The shape of CONFIG_JSON as lib/ writes it: every field given, pairs spelled out. */
export type HandlerConfig = Required<Pick<z.output<typeof handlerConfigSchema>, 'pairs' | 'retentionHours' | 'overdueMinutes' | 'agentRoles'>>;

export interface RuntimeConfig {
  readonly pairs: ReplicationPair[];
  /** Configured source buckets: a write to one of them puts the version in the due index. */
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
  const result = handlerConfigSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
    throw new RuntimeConfigError(`CONFIG_JSON ${where || '(root)'}: ${issue.message}`);
  }
  const input = result.data;
  const pairs: ReplicationPair[] = [];
  const seen = new Set<string>();
  const add = (source: string, destination: string) => {
    const id = `${source}>${destination}`;
    if (!seen.has(id)) pairs.push({ source, destination });
    seen.add(id);
  };
  for (const rule of input.replication ?? []) for (const d of rule.destinations) add(rule.source, d);
  for (const p of input.pairs ?? []) add(p.source, p.destination);
  if (pairs.length === 0) throw new RuntimeConfigError('CONFIG_JSON names no replication pairs');
  return {
    pairs,
    sources: new Set(pairs.map((p) => p.source)),
    retentionHours: input.retentionHours,
    overdueMinutes: input.overdueMinutes,
    agentRoles: input.agentRoles,
  };
}
