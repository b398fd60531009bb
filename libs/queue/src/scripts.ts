import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis.js';

const LUA_DIR = new URL('./lua/', import.meta.url);
const INCLUDE = /^--- @include "([\w/-]+)"$/m;

/** Reads `lua/<file>` with its `--- @include "includes/x"` lines replaced by those snippets. */
function loadLua(file: string): string {
  let source = readFileSync(new URL(file, LUA_DIR), 'utf8');
  for (let match = INCLUDE.exec(source); match; match = INCLUDE.exec(source)) {
    const snippet = loadLua(`${match[1]}.lua`);
    // A function, so that `$'` and the like in Lua patterns are not taken as replacement patterns.
    source = source.replace(match[0], () => snippet);
  }
  return source;
}

// One command per file, named `<name>-<number of keys>.lua` (the BullMQ convention).
const SCRIPT_FILES = [
  'join-12.lua',
  'status-7.lua',
  'state-2.lua',
  'statuses-7.lua',
  'snapshot-9.lua',
  'remove-12.lua',
  'tick-13.lua',
  'place-12.lua',
  'abandon-12.lua',
  'present-1.lua',
  'configure-12.lua',
  'figures-7.lua',
  'sweep-5.lua',
] as const;

type Reply = number | string | Reply[];
type ScriptCommand = (...keysAndArgs: (string | number | Buffer)[]) => Promise<Reply>;

export type WaitingRoomCommands = {
  wrJoin: ScriptCommand;
  wrStatus: ScriptCommand;
  wrState: ScriptCommand;
  wrStatuses: ScriptCommand;
  wrSnapshot: ScriptCommand;
  /** The same, with bulk replies as Buffers (the snapshot's bitmaps are bytes, not text). */
  wrSnapshotBuffer: (...keysAndArgs: (string | number | Buffer)[]) => Promise<(number | Buffer)[] | number>;
  wrRemove: ScriptCommand;
  wrTick: ScriptCommand;
  wrPlace: ScriptCommand;
  wrAbandon: ScriptCommand;
  wrPresent: ScriptCommand;
  wrConfigure: ScriptCommand;
  wrFigures: ScriptCommand;
  wrSweep: ScriptCommand;
};

const SOURCES = SCRIPT_FILES.map((file) => {
  const [, name, keys] = /^([a-z]+)-(\d+)\.lua$/.exec(file)!;
  const command = `wr${name![0]!.toUpperCase()}${name!.slice(1)}`;
  return { command, numberOfKeys: Number(keys), lua: loadLua(file) };
});

/** Registers the waiting-room scripts on a client (ioredis sends EVALSHA, loading them on demand). */
export function defineWaitingRoomCommands(redis: RedisClient): RedisClient & WaitingRoomCommands {
  for (const { command, numberOfKeys, lua } of SOURCES) {
    if (!(command in redis)) redis.defineCommand(command, { numberOfKeys, lua });
  }
  return redis as RedisClient & WaitingRoomCommands;
}
