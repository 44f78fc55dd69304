/**
 * A test hook for the crash-safety tests: when the environment variable GNN_REGISTRY_CRASH_AT
 * names a step (e.g. `promote:renamed`), the process kills itself with SIGKILL on reaching it, as
 * a power cut or an OOM kill would, leaving the registry exactly as that step left it. The steps
 * are listed in CRASH_STEPS; the variable is read at each step, and unset it costs one lookup.
 * @internal
 */

/** Every step a registry operation passes, in order within each operation. */
export const CRASH_STEPS = [
  'register:staged', // the version's files and manifest are written in the staging folder
  'register:locked', // the lock is held, the version not yet renamed into versions/
  'register:renamed', // the version folder is in place, the lock still held
  'promote:locked', // the lock is held, nothing written
  'promote:temp-written', // the new pointer is written and flushed under a temporary name
  'promote:renamed', // the pointer is renamed into place, the history line not yet appended
  'promote:logged', // the history line is appended, the lock still held
  'rollback:locked',
  'rollback:temp-written',
  'rollback:renamed',
  'rollback:logged',
] as const;

export type CrashStep = (typeof CRASH_STEPS)[number];

/** Kills the process when GNN_REGISTRY_CRASH_AT names this step. */
export function crashPoint(step: CrashStep): void {
  if (process.env.GNN_REGISTRY_CRASH_AT === step) {
    // A signal a process sends itself is delivered before kill() returns: nothing after runs.
    process.kill(process.pid, 'SIGKILL');
  }
}
