import { STDIO, UsageError, type CommandIo } from '../support/operator-args';

export const usage = '  crr-monitor redrive: not yet available\n';

export async function run(_argv: string[], _io: CommandIo = STDIO): Promise<number> {
  throw new UsageError('redrive is not implemented yet');
}
