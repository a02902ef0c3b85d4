/** The user's settings (settings.json in the config folder), validated, merged over defaults, saved atomically. */
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { ApiError } from '../../common/api-error.js';
import { DEFAULT_SETTINGS, type Settings } from '../../common/contract.js';
import { configDir, loadJson, saveJson } from '../platform/json-file.js';
import { withDefaultHotkeys } from '../../common/hotkeys.js';
import { settingsSchema } from './schemas.js';

function withDefaults(raw: unknown): Settings {
  const r = (raw ?? {}) as Partial<Settings>;
  const merged = { ...DEFAULT_SETTINGS, ...r, hotkeys: withDefaultHotkeys(r.hotkeys ?? {}) };
  return settingsSchema.parse(merged) as Settings;
}

export class SettingsStore extends EventEmitter<{ change: [Settings]; problem: [string] }> {
  private value: Settings = DEFAULT_SETTINGS;
  private readonly file: string;
  /** Set when another virtswitch holds the config folder: why nothing can be saved. */
  private readOnly: string | undefined;

  constructor(dir: string = configDir()) {
    super();
    this.file = join(dir, 'settings.json');
  }

  load(): Settings {
    const r = loadJson(this.file, DEFAULT_SETTINGS, withDefaults);
    this.value = r.value;
    if (r.problem) queueMicrotask(() => this.emit('problem', r.problem!));
    return this.value;
  }

  get(): Settings {
    return this.value;
  }

  /** From now on nothing is written (another virtswitch owns the folder); updates are refused, saying why. */
  setReadOnly(reason: string): void {
    this.readOnly = reason;
  }

  /** Applies a validated partial update and saves it. */
  update(patch: Partial<Settings>): Settings {
    if (this.readOnly) throw new ApiError('conflict', this.readOnly);
    const next = withDefaults({
      ...this.value,
      ...patch,
      hotkeys: { ...this.value.hotkeys, ...(patch.hotkeys ?? {}) },
    });
    // Saved first: a failed save leaves the settings in memory as they are on disk.
    saveJson(this.file, next);
    this.value = next;
    this.emit('change', this.value);
    return this.value;
  }
}
