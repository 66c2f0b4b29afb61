// The checks behind accessibility.test.ts, each run inside the page: axe-core, touch targets,
// focus rings and field edges (WCAG 1.4.11), and the structure every page needs.
/// <reference lib="dom" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Page } from 'playwright-core';
import type { PageState } from './page-states.ts';

const AXE_SOURCE = readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
/** Controls whose size is checked: buttons, and links or labels that act as one. */
const CONTROLS = 'button, input[type="submit"], a.button, a.action, label.check';
const MIN_TARGET = 44;
/** WCAG 1.4.11: focus rings and the edges of fields against what surrounds them. */
const MIN_NON_TEXT_CONTRAST = 3;

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

/** axe-core's violations for the tags above; its source is evaluated, so the page's CSP stays. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(async (tags) => {
    const axe = (
      window as unknown as {
        axe: {
          run(
            context: Document,
            options: object,
          ): Promise<{ violations: AxeViolation[]; passes: unknown[] }>;
        };
      }
    ).axe;
    const { violations, passes } = await axe.run(document, {
      runOnly: { type: 'tag', values: tags },
      resultTypes: ['violations'],
    });
    return { violations, passed: passes.length };
  }, AXE_TAGS);
  // A run that passed no rule looked at nothing: a broken setup, not an accessible page.
  if (result.passed === 0) throw new Error('axe-core checked no rule on the page');
  return result.violations;
}

export function describeViolations(violations: AxeViolation[]): string[] {
  return violations.flatMap((v) =>
    v.nodes.map(
      (n) =>
        `axe ${v.id} (${v.impact}): ${v.help}\n      at ${n.target.join(' ')}\n      ${(n.failureSummary ?? '').replaceAll('\n', '\n      ')}`,
    ),
  );
}

/** Visible controls smaller than 44x44 CSS px. */
export async function smallTargets(page: Page): Promise<string[]> {
  const problems: string[] = [];
  for (const control of await page.locator(CONTROLS).all()) {
    if (!(await control.isVisible())) continue;
    const box = await control.boundingBox();
    if (!box) continue;
    if (box.width < MIN_TARGET || box.height < MIN_TARGET) {
      const what = await control.evaluate(
        (e) => `${e.tagName.toLowerCase()} "${e.textContent?.trim()}"`,
      );
      problems.push(`target ${what} is ${Math.round(box.width)}x${Math.round(box.height)} px`);
    }
  }
  return problems;
}

type Rgb = [number, number, number];

function parseRgb(color: string): { rgb: Rgb; alpha: number } {
  const parts =
    /rgba?\(([^)]+)\)/
      .exec(color)?.[1]
      ?.split(/[,\s/]+/)
      .filter(Boolean) ?? [];
  const [r = 0, g = 0, b = 0, a = 1] = parts.map(Number);
  return { rgb: [r, g, b], alpha: a };
}

function luminance([r, g, b]: Rgb): number {
  const c = (v: number) => {
    const s = v / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
}

function contrast(a: Rgb, b: Rgb): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

interface FocusStop {
  key: string;
  label: string;
  focusVisible: boolean;
  outlineStyle: string;
  outlineWidth: number;
  outlineColor: string;
  behind: string;
}

interface InPage {
  /** The first opaque background colour among the ancestors of `el`. */
  colourBehind(el: Element): string;
}

/** Installs InPage in the page (once; evaluated like axe-core, so the CSP stays). */
export async function installHelpers(page: Page): Promise<void> {
  await page.evaluate(() => {
    (window as unknown as InPage).colourBehind = (el) => {
      for (let node = el.parentElement; node; node = node.parentElement) {
        const bg = getComputedStyle(node).backgroundColor;
        if (bg !== 'transparent' && !bg.startsWith('rgba(0, 0, 0, 0)')) return bg;
      }
      return 'rgb(255, 255, 255)';
    };
  });
}

/** Text fields whose border has less than 3:1 against the card: a field must be seen as one. */
export async function faintFields(page: Page): Promise<string[]> {
  const fields = await page.evaluate(() =>
    [...document.querySelectorAll('input:not([type=hidden]):not([type=checkbox])')]
      .filter((el) => (el as HTMLElement).offsetParent !== null)
      .map((el) => ({
        id: el.id,
        border: getComputedStyle(el).borderTopColor,
        behind: (window as unknown as InPage).colourBehind(el),
      })),
  );
  return fields.flatMap((f) => {
    const ratio = contrast(parseRgb(f.border).rgb, parseRgb(f.behind).rgb);
    return ratio < MIN_NON_TEXT_CONTRAST
      ? [`field #${f.id} has a border of ${ratio.toFixed(2)}:1 (${f.border} on ${f.behind})`]
      : [];
  });
}

/** Tabs through the page; each stop must show an outline of 2px or more at 3:1 against its surround. */
export async function focusProblems(page: Page): Promise<string[]> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const problems: string[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    const stop: FocusStop | null = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      if (!el || el === document.body) return null;
      const all = [...document.querySelectorAll('*')];
      const style = getComputedStyle(el);
      return {
        key: String(all.indexOf(el)),
        label: `${el.tagName.toLowerCase()} "${(el.textContent ?? '').trim().slice(0, 40) || el.id}"`,
        focusVisible: el.matches(':focus-visible'),
        outlineStyle: style.outlineStyle,
        outlineWidth: Number.parseFloat(style.outlineWidth),
        outlineColor: style.outlineColor,
        // The outline is drawn outside the element, over whatever its parent shows.
        behind: (window as unknown as InPage).colourBehind(el),
      };
    });
    if (!stop || seen.has(stop.key)) break;
    seen.add(stop.key);
    const ratio = contrast(parseRgb(stop.outlineColor).rgb, parseRgb(stop.behind).rgb);
    if (!stop.focusVisible || stop.outlineStyle === 'none' || stop.outlineWidth < 2) {
      problems.push(`focus on ${stop.label} shows no outline of 2px or more`);
    } else if (ratio < MIN_NON_TEXT_CONTRAST) {
      problems.push(
        `focus outline on ${stop.label} has contrast ${ratio.toFixed(2)}:1 (${stop.outlineColor} on ${stop.behind})`,
      );
    }
  }
  const focusable = await page
    .locator('a[href], button, input:not([type=hidden]), [tabindex]')
    .count();
  if (seen.size === 0 && focusable > 0) problems.push('Tab reaches nothing on the page');
  return problems;
}

/** Structure every page needs: lang, landmarks, one h1, labels, errors tied to their fields. */
export async function structureProblems(page: Page, state: PageState): Promise<string[]> {
  const found = await page.evaluate(() => {
    const q = (s: string) => [...document.querySelectorAll(s)];
    const text = (id: string) => document.getElementById(id)?.textContent?.trim() ?? '';
    const active = document.activeElement;
    return {
      lang: document.documentElement.lang,
      h1: q('h1').length,
      main: q('main').length,
      header: q('body > header').length,
      unlabelled: q('input:not([type=hidden]), select, textarea')
        .filter((i) => (i as HTMLInputElement).labels?.length === 0)
        .map((i) => i.id || i.getAttribute('name')),
      invalidWithoutMessage: q('[aria-invalid="true"]')
        .filter((i) => {
          const ids = (i.getAttribute('aria-describedby') ?? '').split(/\s+/).filter(Boolean);
          return !ids.some((id) => text(id) !== '');
        })
        .map((i) => i.id),
      danglingDescriptions: q('[aria-describedby]').flatMap((i) =>
        (i.getAttribute('aria-describedby') ?? '')
          .split(/\s+/)
          .filter((id) => id !== '' && !document.getElementById(id)),
      ),
      alerts: q('[role="alert"]').filter((a) => (a.textContent ?? '').trim() !== '').length,
      focusInError:
        active !== null &&
        active !== document.body &&
        (active.closest('[role="alert"]') !== null ||
          active.getAttribute('aria-invalid') === 'true'),
      noValidate: q('form').filter(
        (f) => f.querySelector('input:not([type=hidden])') && !(f as HTMLFormElement).noValidate,
      ).length,
    };
  });
  const problems: string[] = [];
  if (found.lang === '') problems.push('<html> has no lang');
  if (found.h1 !== 1) problems.push(`${found.h1} h1 elements, expected 1`);
  if (found.main !== 1) problems.push(`${found.main} main landmarks, expected 1`);
  if (found.header !== 1) problems.push(`${found.header} page headers, expected 1`);
  for (const id of found.unlabelled) problems.push(`input ${id} has no label`);
  for (const id of found.invalidWithoutMessage)
    problems.push(`input ${id} is aria-invalid but describedby no message`);
  for (const id of found.danglingDescriptions)
    problems.push(`aria-describedby names missing #${id}`);
  if (found.noValidate > 0)
    problems.push(`${found.noValidate} form(s) show the browser's own validation bubbles`);
  if (state.error && found.alerts === 0) problems.push('the error is not in a role="alert"');
  if (state.error === 'form' && !found.focusInError)
    problems.push('the focus is neither on the error nor on an invalid field');
  return problems;
}
