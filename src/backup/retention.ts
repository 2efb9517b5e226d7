/**
 * The retention policy of `burrow forget`: which snapshots of each set to keep, by restic's
 * `forget` rules. Pure: no clock, no I/O; the same snapshots and policy always give the same
 * decision.
 *
 * Invariants: the policy is applied to each set on its own, newest snapshot first (ties by id,
 * highest first); a snapshot is kept when at least one rule keeps it, and every kept snapshot
 * carries the reasons of every rule that kept it. A policy with no rule keeps nothing and is
 * refused by {@link applyPolicy} (the command refuses it before it gets here).
 *
 * Differences from restic (README, "Forgetting and pruning"): snapshots are grouped by set, not
 * by host and paths; time buckets are counted in UTC, not local time; counts are whole numbers of
 * at least 1 (no -1 "unlimited"); there are no tag rules and no `--keep-within-hourly` and friends.
 *
 * @module
 */

/** A `--keep-within` duration: years, months, days and hours back from the newest snapshot. */
export interface RetentionDuration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

/** The `--keep-*` rules; an absent rule keeps nothing. */
export interface RetentionPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: RetentionDuration;
}

/** What a policy needs of a snapshot. */
export interface DatedSnapshot {
  id: string;
  set: string;
  /** ISO 8601 time. */
  time: string;
}

/** The decision for one snapshot. */
export interface RetentionDecision<T extends DatedSnapshot> {
  snapshot: T;
  keep: boolean;
  /** Why it is kept (e.g. "last snapshot", "daily snapshot"); empty when it is removed. */
  reasons: string[];
}

/** The rules that count time buckets, and the bucket of a time for each. */
const BUCKET_RULES = [
  ["hourly", (t: Date) => t.toISOString().slice(0, 13)],
  ["daily", (t: Date) => t.toISOString().slice(0, 10)],
  ["weekly", isoWeek],
  ["monthly", (t: Date) => t.toISOString().slice(0, 7)],
  ["yearly", (t: Date) => t.toISOString().slice(0, 4)],
] as const;

/** Whether `policy` has at least one rule. */
export function hasRules(policy: RetentionPolicy): boolean {
  return Object.values(policy).some((value) => value !== undefined);
}

/**
 * Parses a restic duration such as `1y2m3d4h` (years, months, days, hours; each part optional,
 * in that order, at least one).
 * @throws {RangeError} when `text` is not such a duration
 */
export function parseDuration(text: string): RetentionDuration {
  const match = /^(?:(\d{1,4})y)?(?:(\d{1,5})m)?(?:(\d{1,6})d)?(?:(\d{1,7})h)?$/.exec(text);
  if (match === null || text === "") {
    throw new RangeError(
      `Cannot read duration "${text}": expected years, months, days and hours like 1y2m3d4h`,
    );
  }
  const [, y, m, d, h] = match;
  return {
    years: Number(y ?? 0),
    months: Number(m ?? 0),
    days: Number(d ?? 0),
    hours: Number(h ?? 0),
  };
}

/**
 * Applies `policy` to every set in `snapshots`.
 * @returns one decision per snapshot, grouped by set (sets in name order), newest first
 * @throws {RangeError} when the policy has no rule, a count is not a whole number ≥ 1, or a time
 *   does not parse
 */
export function applyPolicy<T extends DatedSnapshot>(
  snapshots: readonly T[],
  policy: RetentionPolicy,
): RetentionDecision<T>[] {
  checkPolicy(policy);
  const sets = new Map<string, T[]>();
  for (const snapshot of snapshots) {
    const list = sets.get(snapshot.set) ?? [];
    list.push(snapshot);
    sets.set(snapshot.set, list);
  }
  const names = [...sets.keys()].sort();
  return names.flatMap((name) => applyToSet(sets.get(name)!, policy));
}

function applyToSet<T extends DatedSnapshot>(
  snapshots: T[],
  policy: RetentionPolicy,
): RetentionDecision<T>[] {
  const dated = snapshots.map((snapshot) => ({ snapshot, time: parseTime(snapshot) }));
  dated.sort((a, b) =>
    b.time.getTime() - a.time.getTime() || (a.snapshot.id < b.snapshot.id ? 1 : -1)
  );
  const cutoff = policy.within === undefined || dated[0] === undefined
    ? undefined
    : withinCutoff(dated[0].time, policy.within);
  let last = policy.last ?? 0;
  const buckets = BUCKET_RULES.map(([rule, bucketOf]) => ({
    rule,
    bucketOf,
    left: policy[rule] ?? 0,
    previous: undefined as string | undefined,
  }));
  return dated.map(({ snapshot, time }, i) => {
    const reasons: string[] = [];
    if (last > 0) {
      last--;
      reasons.push("last snapshot");
    }
    if (cutoff !== undefined && time.getTime() > cutoff.getTime()) {
      reasons.push("within the newest snapshot's window");
    }
    const oldest = i === dated.length - 1;
    for (const bucket of buckets) {
      if (bucket.left <= 0) continue;
      const value = bucket.bucketOf(time);
      if (value === bucket.previous && !oldest) continue;
      reasons.push(
        value === bucket.previous ? `oldest ${bucket.rule} snapshot` : `${bucket.rule} snapshot`,
      );
      bucket.previous = value;
      bucket.left--;
    }
    return { snapshot, keep: reasons.length > 0, reasons };
  });
}

function checkPolicy(policy: RetentionPolicy): void {
  if (!hasRules(policy)) {
    throw new RangeError("Cannot apply a retention policy: it has no --keep-* rule");
  }
  for (const rule of ["last", ...BUCKET_RULES.map(([rule]) => rule)] as const) {
    const count = policy[rule];
    if (count !== undefined && !(Number.isSafeInteger(count) && count >= 1)) {
      throw new RangeError(`Cannot keep ${count} ${rule} snapshots: expected a whole number ≥ 1`);
    }
  }
}

function parseTime(snapshot: DatedSnapshot): Date {
  const time = new Date(snapshot.time);
  if (Number.isNaN(time.getTime())) {
    throw new RangeError(
      `Cannot date snapshot ${snapshot.id}: its time "${snapshot.time}" is invalid`,
    );
  }
  return time;
}

/** The newest time minus the duration, by calendar (as Go's AddDate, then hours). */
function withinCutoff(newest: Date, within: RetentionDuration): Date {
  const cutoff = new Date(newest.getTime());
  cutoff.setUTCFullYear(
    cutoff.getUTCFullYear() - within.years,
    cutoff.getUTCMonth() - within.months,
    cutoff.getUTCDate() - within.days,
  );
  return new Date(cutoff.getTime() - within.hours * 3_600_000);
}

/** The ISO 8601 week of `time` in UTC, as "YYYY-Www" (the week's year may differ from the date's). */
function isoWeek(time: Date): string {
  const day = new Date(Date.UTC(time.getUTCFullYear(), time.getUTCMonth(), time.getUTCDate()));
  const weekday = day.getUTCDay() || 7;
  day.setUTCDate(day.getUTCDate() + 4 - weekday);
  const year = day.getUTCFullYear();
  const week = Math.ceil(((day.getTime() - Date.UTC(year, 0, 1)) / 86_400_000 + 1) / 7);
  return `${year}-W${String(week).padStart(2, "0")}`;
}
