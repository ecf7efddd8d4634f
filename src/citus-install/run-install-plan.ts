import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { InstallPlan, InstallStep } from './install-plan.js';

/**
 * Runs an install plan as root, one step after another, each command's output going to `logFile`
 * (configure and make print thousands of lines). Reports one line per step; a failing step
 * stops the plan with an error that names the step and quotes the end of the log.
 */
export async function runInstallPlan(plan: InstallPlan, logFile: string, report: (line: string) => void): Promise<void> {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  fs.writeFileSync(logFile, `# ${plan.summary}\n`);
  for (const [i, step] of plan.steps.entries()) {
    const started = Date.now();
    report(`[${i + 1}/${plan.steps.length}] ${step.title}`);
    try {
      await runStep(step, logFile);
    } catch (error) {
      const tail = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(-3).join(' | ');
      throw new Error(`${step.title} failed: ${(error as Error).message}${tail ? ` (end of ${logFile}: ${tail})` : ''}`, { cause: error });
    }
    const seconds = (Date.now() - started) / 1000;
    if (seconds >= 5) report(`    done in ${seconds.toFixed(0)} s`);
  }
  if (!fs.existsSync(plan.verify)) throw new Error(`the install finished but ${plan.verify} does not exist; see ${logFile}`);
}

async function runStep(step: InstallStep, logFile: string): Promise<void> {
  switch (step.kind) {
    case 'run':
      return runLogged(step.command, step.args, { cwd: step.cwd, env: { ...process.env, ...step.env } }, logFile);
    case 'fetch': {
      const response = await fetch(step.url, { signal: AbortSignal.timeout(30_000) });
      if (!response.ok) throw new Error(`GET ${step.url} answered ${response.status}`);
      fs.mkdirSync(path.dirname(step.path), { recursive: true });
      fs.writeFileSync(step.path, Buffer.from(await response.arrayBuffer()), { mode: 0o644 });
      return;
    }
    case 'write-file':
      fs.mkdirSync(path.dirname(step.path), { recursive: true });
      fs.writeFileSync(step.path, step.content, { mode: 0o644 });
      return;
    case 'copy-tree':
      fs.rmSync(step.to, { recursive: true, force: true });
      fs.cpSync(step.from, step.to, { recursive: true, preserveTimestamps: true });
      return;
    case 'rename-symbol':
      for (const file of step.files) {
        const text = fs.readFileSync(file, 'utf8');
        const renamed = text.replace(new RegExp(`\\b${step.from}\\b`, 'g'), step.to);
        if (renamed === text) throw new Error(`${file} does not mention ${step.from}`);
        fs.writeFileSync(file, renamed);
      }
      return;
  }
}

function runLogged(command: string, args: string[], options: { cwd?: string; env: NodeJS.ProcessEnv }, logFile: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const log = fs.openSync(logFile, 'a');
    fs.writeSync(log, `\n$ ${[command, ...args].join(' ')}\n`);
    const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', log, log] });
    child.on('error', (error) => {
      fs.closeSync(log);
      reject(error);
    });
    child.on('exit', (code, signal) => {
      fs.closeSync(log);
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${signal ?? `code ${code}`}`));
    });
  });
}
