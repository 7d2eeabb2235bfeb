import { UsageError, type CommandIo } from '../support/operator-args';

export const USAGE = 'crr-monitor status: not yet available';

export async function run(_argv: string[], _io: CommandIo): Promise<number> {
  throw new UsageError('status is not implemented yet');
}
