// What loadConfig says about an environment: its list of problems, or none when it accepts it.
import { ConfigError, type Env, loadConfig } from '../../src/config.ts';

export function configProblems(env: Env): readonly string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}
