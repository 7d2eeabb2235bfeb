import { UsageError, type CommandIo } from '../support/operator-args';

export const USAGE = 'crr-monitor redrive: not yet available';

export async function run(_argv: string[], _io: CommandIo): Promise<number> {
  throw new UsageError('redrive is not implemented yet');
}
