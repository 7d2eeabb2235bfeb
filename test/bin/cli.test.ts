/**
 * The installed command, `bin/crr-monitor`, as a user runs it: every command loads through the wrapper (tsx for
 * both module systems), `help` and each command's `--help` print its usage, and usage errors exit 2 naming
 * the option. `local` itself runs a small workload end to end here.
 */
import { runCli } from '../support/run-cli';

const COMMANDS = ['analyze', 'local'];

describe('bin/crr-monitor', () => {
  it('prints the usage of every command for help, --help and -h', async () => {
    for (const args of [['help'], ['--help'], ['-h']]) {
      const { code, stdout, stderr } = await runCli(args);
      expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
      for (const command of COMMANDS) expect(stdout).toContain(`crr-monitor ${command} [`);
    }
  });

  it.each(COMMANDS)('%s --help prints its own usage and exits 0', async (command) => {
    const { code, stdout, stderr } = await runCli([command, '--help']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(new RegExp(`^Usage:\\n  crr-monitor ${command} `));
    for (const other of COMMANDS.filter((c) => c !== command)) expect(stdout).not.toContain(`crr-monitor ${other} `);
  });

  it.each(COMMANDS)('%s names an unknown option and a missing value, exit 2', async (command) => {
    const unknown = await runCli([command, '--no-such-option']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("crr-monitor: Unknown option '--no-such-option'");
    expect(unknown.stderr).toContain('Usage:');
    const missing = await runCli([command, '--format']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/crr-monitor: Option '--format <value>' argument missing/);
  });

  it('names an unknown or missing command, exit 2', async () => {
    const unknown = await runCli(['nonsense']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("crr-monitor: unknown command 'nonsense'");
    expect((await runCli([])).stderr).toContain('crr-monitor: missing command');
    expect((await runCli(['constructor'])).code).toBe(2);
  });

  it('runs analyze', async () => {
    const { code, stdout, stderr } = await runCli(['analyze', 'test/fixtures/events']);
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toMatch(/^Replication report as of 2026-11-20T10:17:05\.012Z/);
  });

  it('runs local (the lazily loaded pipeline harness) end to end', async () => {
    const { code, stdout, stderr } = await runCli(['local', '--objects', '30', '--workers', '2']);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^emulators: dynalite http:\/\/127\.0\.0\.1:\d+/);
    expect(stderr).toContain('workload: 30 objects over 4 pairs');
    expect(stderr).not.toContain('ERR_');
    expect(stdout).toContain('photos-use1   photos-euw2');
  });
});
