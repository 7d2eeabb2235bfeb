import { STDIO, UsageError, type CommandIo } from '../support/operator-args';

export const usage = '  crr-monitor status: not yet available\n';

export async function run(_argv: string[], _io: CommandIo = STDIO): Promise<number> {
  throw new UsageError('status is not implemented yet');
}
