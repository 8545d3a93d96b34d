import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { LoadTestError } from './errors';

/**
 * A scenario is the shape of the load: how many rooms and members, how fast
 * they talk, and what else they do (churn, history reads). Presets cover the
 * usual questions; a JSON file with the same fields covers the rest.
 */
export const scenarioSchema = z
  .object({
    name: z.string().min(1).max(64).default('custom'),
    description: z.string().max(500).optional(),
    rooms: z.number().int().min(1).max(100_000),
    /** Members per room (each is one user with one socket). */
    clientsPerRoom: z.number().int().min(1).max(100_000),
    /** Messages per second per room (all members take turns); 0 = silent. */
    ratePerRoom: z.number().min(0).max(100_000),
    /** Content length in characters (padded JSON). */
    messageBytes: z.number().int().min(64).max(4000).default(120),
    durationSec: z.number().positive().max(86_400).default(30),
    warmupSec: z.number().min(0).max(3600).default(5),
    /** Some members leave and re-join their room on a fixed period. */
    churn: z
      .object({
        fraction: z.number().min(0).max(1),
        intervalMs: z.number().int().min(50).max(600_000),
      })
      .strict()
      .optional(),
    /** History reads per second per room, each for `limit` messages. */
    history: z
      .object({
        ratePerRoom: z.number().positive().max(100_000),
        limit: z.number().int().min(1).max(200).default(50),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((s) => s.rooms * s.clientsPerRoom <= 1_000_000, { message: 'rooms x clientsPerRoom must be at most 1,000,000' });

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export const PRESET_NAMES = ['chatty', 'huge-room', 'idle', 'churn', 'history'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

const PRESETS: Record<PresetName, ScenarioInput> = {
  chatty: {
    name: 'chatty',
    description: 'Many small rooms, everyone talks a little.',
    rooms: 50,
    clientsPerRoom: 5,
    ratePerRoom: 2,
    messageBytes: 100,
  },
  'huge-room': {
    name: 'huge-room',
    description: 'One room of 5,000 members: fan-out cost of a single message.',
    rooms: 1,
    clientsPerRoom: 5000,
    ratePerRoom: 5,
    messageBytes: 100,
    warmupSec: 5,
  },
  idle: {
    name: 'idle',
    description: 'Connection capacity: many connected members that say nothing.',
    rooms: 100,
    clientsPerRoom: 100,
    ratePerRoom: 0,
    durationSec: 30,
    warmupSec: 0,
  },
  churn: {
    name: 'churn',
    description: 'Half of the members leave and re-join every 2 s while the rest talk.',
    rooms: 20,
    clientsPerRoom: 10,
    ratePerRoom: 2,
    churn: { fraction: 0.5, intervalMs: 2000 },
  },
  history: {
    name: 'history',
    description: 'History reads (50 messages) while rooms receive some traffic.',
    rooms: 20,
    clientsPerRoom: 5,
    ratePerRoom: 2,
    history: { ratePerRoom: 10, limit: 50 },
  },
};

export function presetScenario(name: string): Scenario {
  if (!(PRESET_NAMES as readonly string[]).includes(name)) {
    throw new LoadTestError('bad_options', `unknown scenario "${name}" (one of: ${PRESET_NAMES.join(', ')})`);
  }
  return parseScenario(PRESETS[name as PresetName], `preset ${name}`);
}

/** Validates a scenario object; the error names the first bad field. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const r = scenarioSchema.safeParse(input);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  throw new LoadTestError('bad_options', `${source}: ${where}${issue?.message ?? 'invalid'}`);
}

export function loadScenarioFile(path: string): Scenario {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new LoadTestError('bad_options', `cannot read scenario file ${path}: ${(err as Error).message}`);
  }
  return parseScenario(raw, path);
}
