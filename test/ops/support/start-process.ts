import { spawn, type ChildProcess } from 'node:child_process';

export interface RunningProcess {
  /** Everything the process wrote so far, for failure messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after two seconds; resolves once it has exited. */
  stop(): Promise<void>;
}

/**
 * Spawns a long-running process and resolves once `readyUrl` answers 2xx, so a test never races its start-up.
 * Rejects with the process's output when it exits early or is not ready within `timeoutMs`.
 */
export async function startProcess(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; readyUrl: string; timeoutMs?: number },
): Promise<RunningProcess> {
  const child: ChildProcess = spawn(command, args, {
    env: options.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running: RunningProcess = {
    output: () => out,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      await exited;
      clearTimeout(timer);
    },
  };

  const deadline = Date.now() + (options.timeoutMs ?? 15_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${command} exited with ${child.exitCode}:\n${out}`);
    const ready = await fetch(options.readyUrl).then(
      (res) => res.ok,
      () => false,
    );
    if (ready) return running;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await running.stop();
  throw new Error(`${command} was not ready at ${options.readyUrl}:\n${out}`);
}
