import { parseTrailers } from './parse-trailers.js';
import type { RunGit } from './run-git.js';
import type { TagRun } from './tag-run.js';
import { PROMOBOT_TRAILER_PREFIX } from './trailers.js';

export type { TagRun } from './tag-run.js';

/**
 * How far back a history read looks: the newest 1,000 commits of the deploy branch's first-parent history that
 * change the environment's folder. A tag that ran before them and still ran at the oldest of them is listed with an
 * unknown start (`since: null`); one that came and went before them is not listed.
 */
export const HISTORY_DEPTH = 1_000;
/**
 * File versions one read may parse: an environment of many files that all change often stops the walk earlier
 * (marked truncated) rather than reading without end.
 */
export const MAX_VERSIONS_READ = 20_000;
/** Histories kept per deploy repo, keyed by commit, folder and reader (one per app and environment in use). */
export const HISTORY_CACHE_ENTRIES = 256;
/** Tags per file version kept per deploy repo, keyed by blob id, path and reader: 10,000 small string arrays. */
export const BLOB_CACHE_ENTRIES = 10_000;

const ZERO = /^0+$/;
/** Starts each commit's header in the log (`%x1e`). */
const RECORD = String.fromCharCode(0x1e);
const HASH = /^[0-9a-f]{40,64}$/;
/** Caps on what a commit's author sets, so a history is bounded whatever the commits say. */
const MAX_SUBJECT = 200;
const MAX_TRAILERS = 20;

export interface EnvHistory {
  /** The commit the history was read from. */
  tip: string;
  /** Newest first (by the commit that brought each in). */
  runs: TagRun[];
  /** True when the depth limit cut the walk short. */
  truncated: boolean;
}

/** How to read one environment: which files to look at, and the tags one file pins (the updaters' read-back). */
export interface TagReader {
  /** Names the reader in cache keys: one per app (image, helm paths). */
  key: string;
  wants(path: string): boolean;
  tagsOf(path: string, text: string): readonly string[];
}

export interface HistoryReader {
  /** The tag runs under `dir` in the first-parent history of commit `tip`. */
  read(tip: string, dir: string, reader: TagReader): Promise<EnvHistory>;
}

interface LoggedCommit {
  commit: string;
  at: number;
  /** path → new blob id, or null when the file was deleted. */
  changes: Map<string, string | null>;
}

/**
 * Reads "which tags ran in this folder, and from when" from git plumbing alone, never a checkout: one `git log
 * --first-parent --raw` restricted to the folder names each commit's changed blobs, one `git cat-file --batch`
 * reads the versions not already cached, and one more reads the commits that brought a tag in (author, subject,
 * trailers). Merges count by their first-parent diff, so a merged PR is the moment its change reached the branch.
 */
export function createHistoryReader(
  run: RunGit,
  options: {
    depth?: number;
    cacheEntries?: number;
    blobCacheEntries?: number;
    maxVersionsRead?: number;
  } = {},
): HistoryReader {
  const depth = options.depth ?? HISTORY_DEPTH;
  const maxVersions = options.maxVersionsRead ?? MAX_VERSIONS_READ;
  const histories = boundedCache<EnvHistory>(options.cacheEntries ?? HISTORY_CACHE_ENTRIES);
  const blobTags = boundedCache<readonly string[]>(options.blobCacheEntries ?? BLOB_CACHE_ENTRIES);
  const described = boundedCache<Described>(options.blobCacheEntries ?? BLOB_CACHE_ENTRIES);

  const readObjects = async (ids: readonly string[]): Promise<Map<string, string>> => {
    if (ids.length === 0) return new Map();
    const out = await run('cat-file', ['cat-file', '--batch'], Buffer.from(`${ids.join('\n')}\n`));
    return parseBatch(out, ids);
  };

  return {
    async read(tip, dir, reader) {
      const folder = dir === '' ? '.' : dir;
      const key = `${tip}\0${folder}\0${reader.key}`;
      const cached = histories.get(key);
      if (cached) return cached;

      const newestFirst = parseLog(
        await run('log', [
          'log',
          '--first-parent',
          '--diff-merges=first-parent',
          '--raw',
          '--no-renames',
          '--no-abbrev',
          '-z',
          `--max-count=${depth}`,
          '--format=%x1e%H %ct',
          tip,
          '--',
          folder,
        ]),
      );
      let kept = newestFirst.length;
      let versions = 0;
      for (const [i, entry] of newestFirst.entries()) {
        for (const [path, blob] of entry.changes) if (blob !== null && reader.wants(path)) versions += 1;
        if (versions > maxVersions && i > 0) {
          kept = i;
          break;
        }
      }
      const logged = newestFirst.slice(0, kept).reverse();
      const truncated = newestFirst.length >= depth || kept < newestFirst.length;
      // Cut short: the folder as it was just before the oldest commit read is where the walk starts.
      const base = new Map<string, string | null>();
      const oldest = logged[0];
      if (truncated && oldest) {
        const listed = await run('ls-tree', ['ls-tree', '-r', '-z', `${oldest.commit}^`, '--', folder]).catch(
          () => '',
        );
        for (const entry of listed.split('\0')) {
          const match = /^\d+ blob ([0-9a-f]+)\t(.*)$/s.exec(entry);
          if (match?.[1] && match[2] !== undefined) base.set(match[2], match[1]);
        }
      }

      // Tags per file version for this read; the shared cache only spares reading and parsing them again.
      const blobKey = (path: string, blob: string) => `${blob}\0${path}\0${reader.key}`;
      const local = new Map<string, readonly string[]>();
      const needed = new Map<string, { path: string; blob: string }>();
      const want = (path: string, blob: string | null) => {
        if (blob === null || !reader.wants(path)) return;
        const cacheKey = blobKey(path, blob);
        const known = blobTags.get(cacheKey);
        if (known) local.set(cacheKey, known);
        else needed.set(cacheKey, { path, blob });
      };
      for (const [path, blob] of base) want(path, blob);
      for (const entry of logged) for (const [path, blob] of entry.changes) want(path, blob);
      const texts = await readObjects([...new Set([...needed.values()].map((n) => n.blob))]);
      for (const [cacheKey, { path, blob }] of needed) {
        const text = texts.get(blob);
        const tags = text === undefined ? [] : [...new Set(reader.tagsOf(path, text))];
        local.set(cacheKey, tags);
        blobTags.set(cacheKey, tags);
      }

      const state = new Map(base);
      const tagsNow = () => {
        const tags = new Set<string>();
        for (const [path, blob] of state)
          if (blob !== null && reader.wants(path))
            for (const tag of local.get(blobKey(path, blob)) ?? []) tags.add(tag);
        return tags;
      };
      type Open = { tag: string; since: number | null; commit: string | null; endedBy: string | null };
      const runs: Open[] = [];
      const open = new Map<string, Open>();
      for (const tag of tagsNow()) {
        const started = { tag, since: null, commit: null, endedBy: null };
        runs.push(started);
        open.set(tag, started);
      }
      for (const entry of logged) {
        for (const [path, blob] of entry.changes) {
          if (blob === null) state.delete(path);
          else state.set(path, blob);
        }
        const now = tagsNow();
        for (const [tag, running] of open) {
          if (now.has(tag)) continue;
          running.endedBy = entry.commit;
          open.delete(tag);
        }
        for (const tag of now) {
          if (open.has(tag)) continue;
          const started = { tag, since: entry.at, commit: entry.commit, endedBy: null };
          runs.push(started);
          open.set(tag, started);
        }
      }

      const starts = [...new Set(runs.flatMap((r) => (r.commit === null ? [] : [r.commit])))];
      const commits = await readObjects(starts.filter((commit) => !described.has(commit)));
      for (const [commit, raw] of commits) described.set(commit, describeCommit(raw));
      const history: EnvHistory = {
        tip,
        truncated,
        runs: runs.reverse().map((r) => ({
          ...r,
          ...((r.commit === null ? undefined : described.get(r.commit)) ?? NOT_DESCRIBED),
        })),
      };
      histories.set(key, history);
      return history;
    },
  };
}

type Described = Pick<TagRun, 'author' | 'subject' | 'trailers'>;
const NOT_DESCRIBED: Described = { author: null, subject: null, trailers: {} };

/** Author, subject and `Promobot-*` trailers of a raw commit object. */
function describeCommit(raw: string): Described {
  const split = raw.indexOf('\n\n');
  const headers = split < 0 ? raw : raw.slice(0, split);
  const message = split < 0 ? '' : raw.slice(split + 2);
  const author = /^author (.*?) \d+ [+-]\d{4}$/m.exec(headers)?.[1] ?? null;
  const subject = (message.split('\n')[0] ?? '').trim().slice(0, MAX_SUBJECT);
  const trailers = Object.fromEntries(
    Object.entries(parseTrailers(message))
      .filter(([name]) => name.startsWith(PROMOBOT_TRAILER_PREFIX))
      .slice(0, MAX_TRAILERS)
      .map(([name, value]) => [name, value.slice(0, MAX_SUBJECT)]),
  );
  return { author: author?.slice(0, MAX_SUBJECT) ?? null, subject, trailers };
}

/**
 * `git log -z --raw --format=%x1e%H %ct` output: per commit a header token, then pairs of `:modes ids status`
 * and path tokens. Paths are read as whole NUL-separated tokens, so any byte in a path is safe.
 */
export function parseLog(out: string): LoggedCommit[] {
  const tokens = out.split('\0');
  const commits: LoggedCommit[] = [];
  let current: LoggedCommit | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] ?? '';
    const meta = token.replace(/^\n/, '');
    if (meta.startsWith(':')) {
      const path = tokens[++i] ?? '';
      const [, , , newBlob = '', status = ''] = meta.slice(1).split(' ');
      current?.changes.set(path, status.startsWith('D') || ZERO.test(newBlob) ? null : newBlob);
      continue;
    }
    const start = token.indexOf(RECORD);
    const header = start < 0 || start > 1 ? null : /^([0-9a-f]+) (\d+)$/.exec(token.slice(start + 1));
    if (!header) continue;
    current = { commit: header[1] ?? '', at: Number(header[2]) * 1000, changes: new Map() };
    commits.push(current);
  }
  return commits;
}

/**
 * `git cat-file --batch` output for `ids`, asked in that order: `<id> <type> <size>\n<content>\n` each, or `<id>
 * missing\n`. Sizes count bytes and the output arrives decoded, so each object's end is found from the next
 * one's header line, which starts with an id the batch itself asked for.
 */
export function parseBatch(out: string, ids: readonly string[]): Map<string, string> {
  const objects = new Map<string, string>();
  let at = 0;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i] ?? '';
    const lineEnd = out.indexOf('\n', at);
    if (lineEnd < 0) break;
    const [name = '', type = '', sizeText = ''] = out.slice(at, lineEnd).split(' ');
    if (!HASH.test(name) || type === 'missing' || sizeText === '') {
      at = lineEnd + 1;
      continue;
    }
    const start = lineEnd + 1;
    const size = Number(sizeText);
    const next = ids[i + 1];
    let end: number;
    if (next === undefined) end = out.length - 1;
    else if (out.startsWith(`\n${next} `, start + size)) end = start + size;
    else end = out.indexOf(`\n${next} `, start);
    if (end < start) break;
    if (name === id || name.startsWith(id)) objects.set(id, out.slice(start, end));
    at = end + 1;
  }
  return objects;
}

/** A Map that forgets its oldest entries beyond `limit` (least recently read first). */
function boundedCache<T>(limit: number) {
  const entries = new Map<string, T>();
  return {
    has: (key: string) => entries.has(key),
    get(key: string): T | undefined {
      const value = entries.get(key);
      if (value !== undefined) {
        entries.delete(key);
        entries.set(key, value);
      }
      return value;
    },
    set(key: string, value: T) {
      entries.delete(key);
      entries.set(key, value);
      while (entries.size > limit) {
        const oldest = entries.keys().next().value;
        if (oldest === undefined) break;
        entries.delete(oldest);
      }
    },
  };
}
