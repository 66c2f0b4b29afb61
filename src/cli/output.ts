// What commands print: lines on stdout, dates and aligned tables.

export function say(text = ''): void {
  process.stdout.write(`${text}\n`);
}

export function sayLines(lines: Iterable<string>): void {
  for (const line of lines) say(line);
}

export function formatDate(date: Date | null): string {
  return date ? `${date.toISOString().slice(0, 19)}Z` : '-';
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? '').length)),
  );
  return [header, ...rows].map((row) =>
    row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd(),
  );
}
