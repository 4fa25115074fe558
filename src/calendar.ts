// "Today" and "this month" in a user's time zone: summaries skip both.

/** YYYY-MM-DD of `now` in `timezone`. */
export function todayIn(timezone: string, now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** [year, month] of `now` in `timezone`. */
export function currentMonthIn(timezone: string, now = new Date()): [number, number] {
  const today = todayIn(timezone, now);
  return [Number(today.slice(0, 4)), Number(today.slice(5, 7))];
}

/** True when (year, month) is before the current month in `timezone`. */
export function isPastMonth(year: number, month: number, timezone: string, now = new Date()): boolean {
  const [y, m] = currentMonthIn(timezone, now);
  return year * 12 + month < y * 12 + m;
}
